//! The fictional organisation of 临江市公安局: units and officers, generated from a seed.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::names::full_name;

/// The level of a unit in a city bureau's hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 市局: the city public-security bureau, root of the tree.
    Bureau,
    /// 分局: a district branch.
    Branch,
    /// 派出所: a police station under a branch.
    Station,
    /// 警种: a specialised unit (刑侦支队, 治安支队, a branch's 刑侦大队 …).
    PoliceType,
}

/// One unit of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unit {
    /// The unit id, `U-0001` …; the bureau is always `U-0001`.
    pub id: String,
    /// The unit's Chinese name, e.g. `东湖分局` or `滨江派出所`.
    pub name: String,
    /// The id of the unit above it; `None` for the bureau.
    pub parent: Option<String>,
    /// The unit's level.
    pub kind: UnitKind,
}

/// One police officer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Officer {
    /// The officer's number (警号), `O-100234` …; unique in the organisation.
    pub id: String,
    /// The officer's fictional full name.
    pub name: String,
    /// The id of the unit the officer belongs to.
    pub unit: String,
}

/// A whole organisation: units in tree order (every parent before its children) and officers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Org {
    /// Every unit, parents first.
    pub units: Vec<Unit>,
    /// Every officer, grouped by unit in the order of `units`.
    pub officers: Vec<Officer>,
}

/// The specialised detachments (支队) directly under the bureau.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Squad {
    /// 刑侦支队
    Criminal,
    /// 治安支队
    PublicOrder,
    /// 禁毒支队
    Narcotics,
    /// 经侦支队
    Economic,
    /// 网安支队
    Cyber,
    /// 交警支队
    Traffic,
}

const SQUADS: [(Squad, &str); 6] = [
    (Squad::Criminal, "刑侦支队"),
    (Squad::PublicOrder, "治安支队"),
    (Squad::Narcotics, "禁毒支队"),
    (Squad::Economic, "经侦支队"),
    (Squad::Cyber, "网安支队"),
    (Squad::Traffic, "交警支队"),
];

const BRANCHES: &[&str] = &[
    "东湖分局",
    "西城分局",
    "南山分局",
    "北岸分局",
    "江北分局",
    "高新区分局",
    "滨湖分局",
    "城关分局",
    "开发区分局",
    "临港分局",
];

const STATIONS: &[&str] = &[
    "滨江",
    "人民路",
    "解放路",
    "新华",
    "朝阳",
    "城南",
    "城北",
    "东门",
    "西门",
    "江湾",
    "柳营",
    "桃园",
    "梅林",
    "枫桥",
    "凤凰",
    "青石",
    "白沙",
    "长安",
    "和平",
    "胜利",
    "建设",
    "五一",
    "湖滨",
    "金桥",
    "银湖",
    "花园",
    "龙山",
    "黄村",
    "杨柳",
    "石门",
    "新港",
    "北站",
    "南湖",
    "东风",
    "红星",
    "幸福",
    "翠屏",
    "云台",
    "松林",
    "望江",
    "沙洲",
    "渡口",
];

/// How many branches the bureau has.
const N_BRANCHES: usize = 6;

/// A unit that handles cases, with what the generator needs of it.
#[derive(Debug, Clone)]
pub(crate) struct Handler {
    /// The unit id.
    pub unit: String,
    /// The officers of the unit (警号); never fewer than two.
    pub officers: Vec<String>,
    /// The handling area (办案区) its suspects are brought to.
    pub area: String,
}

/// A branch as the generator sees it.
#[derive(Debug, Clone)]
pub(crate) struct BranchDir {
    /// Index into [`Directory::handlers`] of the branch's 刑侦大队.
    pub brigade: usize,
    /// Indices into [`Directory::handlers`] of its stations.
    pub stations: Vec<usize>,
}

/// The case-handling units of an organisation, indexed for choosing a handler quickly.
#[derive(Debug, Clone)]
pub(crate) struct Directory {
    /// Every unit that handles cases: stations and police-type units.
    pub handlers: Vec<Handler>,
    /// The branches, each with its brigade and stations.
    pub branches: Vec<BranchDir>,
    /// Indices into `handlers` of the bureau's detachments, by [`Squad`].
    squads: Vec<(Squad, usize)>,
}

impl Directory {
    /// The handler index of a detachment of the bureau.
    pub fn squad(&self, squad: Squad) -> usize {
        self.squads
            .iter()
            .find(|(s, _)| *s == squad)
            .map_or(0, |(_, i)| *i)
    }
}

/// The organisation for a seed: one 市局 (`临江市公安局`), six 分局 each with four to six 派出所
/// and a 刑侦大队, and six 警种 detachments directly under the 市局, with 10–30 officers per unit.
/// The same seed always gives the same organisation.
pub fn org(seed: u64) -> Org {
    build(seed).0
}

/// Builds the organisation and the directory of its case-handling units.
pub(crate) fn build(seed: u64) -> (Org, Directory) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // The case generator uses streams 0.. of another seed; a fixed far stream keeps the
    // organisation independent of any later change there.
    rng.set_stream(u64::MAX);
    let mut b = Builder {
        rng,
        units: Vec::new(),
        officers: Vec::new(),
        handlers: Vec::new(),
        next_badge: 0,
    };
    b.next_badge = 100_000 + b.rng.random_range(0..20_000);

    let bureau = b.unit("临江市公安局".to_owned(), None, UnitKind::Bureau);
    let bureau_area = format!("{bureau}-HA");
    let mut squads = Vec::with_capacity(SQUADS.len());
    for (squad, name) in SQUADS {
        let id = b.unit(name.to_owned(), Some(&bureau), UnitKind::PoliceType);
        squads.push((squad, b.handler(id, &bureau_area)));
    }

    let mut branch_names: Vec<&str> = BRANCHES.to_vec();
    branch_names.shuffle(&mut b.rng);
    let mut station_names: Vec<&str> = STATIONS.to_vec();
    station_names.shuffle(&mut b.rng);
    let mut station_names = station_names.into_iter();

    let mut branches = Vec::with_capacity(N_BRANCHES);
    for name in branch_names.into_iter().take(N_BRANCHES) {
        let branch = b.unit(name.to_owned(), Some(&bureau), UnitKind::Branch);
        // Branches run one law-enforcement centre (执法办案管理中心) for all their units.
        let area = format!("{branch}-HA");
        let brigade_id = b.unit(
            format!("{name}刑侦大队"),
            Some(&branch),
            UnitKind::PoliceType,
        );
        let brigade = b.handler(brigade_id, &area);
        let n_stations = b.rng.random_range(4..=6);
        let mut stations = Vec::with_capacity(n_stations);
        for station in station_names.by_ref().take(n_stations) {
            let id = b.unit(format!("{station}派出所"), Some(&branch), UnitKind::Station);
            stations.push(b.handler(id, &area));
        }
        branches.push(BranchDir { brigade, stations });
    }

    let Builder {
        units,
        officers,
        handlers,
        ..
    } = b;
    (
        Org { units, officers },
        Directory {
            handlers,
            branches,
            squads,
        },
    )
}

struct Builder {
    rng: ChaCha8Rng,
    units: Vec<Unit>,
    officers: Vec<Officer>,
    handlers: Vec<Handler>,
    next_badge: u32,
}

impl Builder {
    /// Adds a unit with its officers and returns its id.
    fn unit(&mut self, name: String, parent: Option<&str>, kind: UnitKind) -> String {
        let id = format!("U-{:04}", self.units.len() + 1);
        self.units.push(Unit {
            id: id.clone(),
            name,
            parent: parent.map(str::to_owned),
            kind,
        });
        let n = self.rng.random_range(10..=30);
        for _ in 0..n {
            // 警号 are handed out in blocks with gaps, as a real roster looks.
            self.next_badge += self.rng.random_range(1..=9);
            let name = full_name(&mut self.rng);
            self.officers.push(Officer {
                id: format!("O-{:06}", self.next_badge),
                name,
                unit: id.clone(),
            });
        }
        id
    }

    /// Registers a unit just added by [`Builder::unit`] as a case handler; returns its index.
    fn handler(&mut self, unit: String, area: &str) -> usize {
        let officers: Vec<String> = self
            .officers
            .iter()
            .filter(|o| o.unit == unit)
            .map(|o| o.id.clone())
            .collect();
        self.handlers.push(Handler {
            unit,
            officers,
            area: area.to_owned(),
        });
        self.handlers.len() - 1
    }
}
