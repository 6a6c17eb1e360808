//! 案由: the causes of action the demo city sees, how often, and who handles them.

use rand::Rng;

use crate::names::place;
use crate::org::{Directory, Squad};

/// A cause of action (案由). The first group are crimes, the second public-order violations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// 盗窃 (criminal)
    Theft,
    /// 诈骗
    Fraud,
    /// 故意伤害
    Injury,
    /// 抢劫
    Robbery,
    /// 贩卖毒品
    DrugTrafficking,
    /// 寻衅滋事 (criminal)
    Provocation,
    /// 危险驾驶 (醉驾)
    DrunkDriving,
    /// 帮助信息网络犯罪活动
    AidingCyberCrime,
    /// 非法吸收公众存款
    IllegalDeposits,
    /// 殴打他人
    Assault,
    /// 盗窃 (治安)
    PettyTheft,
    /// 赌博
    Gambling,
    /// 吸毒
    DrugUse,
    /// 卖淫嫖娼
    Prostitution,
    /// 扰乱公共秩序
    PublicDisorder,
    /// 故意损毁财物
    PropertyDamage,
    /// 寻衅滋事 (治安)
    PettyProvocation,
}

impl Cause {
    /// Draws a cause: about 35% crimes and 65% public-order cases, in a city's usual mix.
    pub fn draw(rng: &mut impl Rng) -> Self {
        match rng.random_range(0..1000) {
            0..105 => Self::Theft,
            105..175 => Self::Fraud,
            175..203 => Self::Injury,
            203..213 => Self::Robbery,
            213..234 => Self::DrugTrafficking,
            234..262 => Self::Provocation,
            262..315 => Self::DrunkDriving,
            315..343 => Self::AidingCyberCrime,
            343..350 => Self::IllegalDeposits,
            350..513 => Self::Assault,
            513..643 => Self::PettyTheft,
            643..708 => Self::Gambling,
            708..786 => Self::DrugUse,
            786..838 => Self::Prostitution,
            838..890 => Self::PublicDisorder,
            890..945 => Self::PropertyDamage,
            _ => Self::PettyProvocation,
        }
    }

    /// Whether this is a criminal case (刑事案件) rather than an administrative one.
    pub fn is_criminal(self) -> bool {
        matches!(
            self,
            Self::Theft
                | Self::Fraud
                | Self::Injury
                | Self::Robbery
                | Self::DrugTrafficking
                | Self::Provocation
                | Self::DrunkDriving
                | Self::AidingCyberCrime
                | Self::IllegalDeposits
        )
    }

    /// The 案由 as written in `case.accepted`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Theft | Self::PettyTheft => "盗窃",
            Self::Fraud => "诈骗",
            Self::Injury => "故意伤害",
            Self::Robbery => "抢劫",
            Self::DrugTrafficking => "贩卖毒品",
            Self::Provocation | Self::PettyProvocation => "寻衅滋事",
            Self::DrunkDriving => "危险驾驶",
            Self::AidingCyberCrime => "帮助信息网络犯罪活动",
            Self::IllegalDeposits => "非法吸收公众存款",
            Self::Assault => "殴打他人",
            Self::Gambling => "赌博",
            Self::DrugUse => "吸毒",
            Self::Prostitution => "卖淫嫖娼",
            Self::PublicDisorder => "扰乱公共秩序",
            Self::PropertyDamage => "故意损毁财物",
        }
    }

    /// How likely officers went to the scene (民警到达现场处置) rather than the report being
    /// made at a counter, by phone from a bank, or by referral.
    pub fn on_scene_probability(self) -> f64 {
        match self {
            Self::DrunkDriving => 1.0,
            Self::Assault | Self::PettyProvocation | Self::PublicDisorder => 0.9,
            Self::Injury | Self::Provocation => 0.85,
            Self::Robbery => 0.7,
            Self::Gambling | Self::Prostitution | Self::DrugUse => 0.75,
            Self::PettyTheft | Self::PropertyDamage => 0.6,
            Self::Theft => 0.45,
            Self::DrugTrafficking => 0.3,
            Self::AidingCyberCrime => 0.15,
            Self::Fraud => 0.1,
            Self::IllegalDeposits => 0.0,
        }
    }

    /// How likely the case is a serious one (可能判处无期徒刑、死刑或其他重大犯罪).
    pub fn serious_probability(self) -> f64 {
        match self {
            Self::Robbery => 0.5,
            Self::DrugTrafficking | Self::IllegalDeposits => 0.3,
            Self::Injury => 0.15,
            Self::Fraud => 0.05,
            _ => 0.0,
        }
    }

    /// How likely a suspect is identified and brought in at all.
    pub fn solve_probability(self) -> f64 {
        match self {
            Self::DrunkDriving | Self::Prostitution | Self::Gambling | Self::DrugUse => 1.0,
            Self::Assault | Self::PettyProvocation | Self::PublicDisorder => 0.95,
            Self::DrugTrafficking | Self::Injury | Self::Provocation => 0.9,
            Self::AidingCyberCrime | Self::IllegalDeposits => 0.85,
            Self::Robbery => 0.8,
            Self::PropertyDamage => 0.7,
            Self::PettyTheft => 0.65,
            Self::Theft => 0.45,
            Self::Fraud => 0.3,
        }
    }

    /// Whether the suspects are usually caught in the act, at the scene (现行).
    pub fn caught_in_act(self) -> bool {
        matches!(
            self,
            Self::DrunkDriving
                | Self::Assault
                | Self::PettyProvocation
                | Self::PublicDisorder
                | Self::Injury
                | Self::Provocation
                | Self::Gambling
                | Self::Prostitution
                | Self::DrugUse
        )
    }

    /// Chooses the handling unit: stations take most cases, specialised units their own.
    pub fn handler(self, rng: &mut impl Rng, dir: &Directory) -> usize {
        let branch = dir
            .branches
            .get(rng.random_range(0..dir.branches.len().max(1)));
        let station = branch.map_or(0, |b| {
            b.stations
                .get(rng.random_range(0..b.stations.len().max(1)))
                .copied()
                .unwrap_or(b.brigade)
        });
        let brigade = branch.map_or(station, |b| b.brigade);
        let p: u32 = rng.random_range(0..100);
        match self {
            Self::Theft if p < 30 => brigade,
            Self::Fraud if p < 30 => dir.squad(Squad::Criminal),
            Self::Fraud if p < 50 => brigade,
            Self::Injury if p < 50 => brigade,
            Self::Robbery if p < 60 => brigade,
            Self::Robbery => dir.squad(Squad::Criminal),
            Self::DrugTrafficking if p < 70 => dir.squad(Squad::Narcotics),
            Self::Provocation if p < 20 => dir.squad(Squad::PublicOrder),
            Self::DrunkDriving => dir.squad(Squad::Traffic),
            Self::AidingCyberCrime if p < 40 => dir.squad(Squad::Cyber),
            Self::AidingCyberCrime => dir.squad(Squad::Criminal),
            Self::IllegalDeposits => dir.squad(Squad::Economic),
            Self::DrugUse if p < 20 => dir.squad(Squad::Narcotics),
            Self::Gambling | Self::Prostitution if p < 15 => dir.squad(Squad::PublicOrder),
            _ => station,
        }
    }

    /// The report's summary (警情简要), e.g. `报警称在人民路停放的电动车被盗`.
    pub fn summary(self, rng: &mut impl Rng) -> String {
        let at = place(rng);
        match self {
            Self::Theft => format!("报警称在{at}停放的电动车被盗"),
            Self::Fraud => format!(
                "报警称被冒充网购客服以退款为由骗走人民币{}元",
                rng.random_range(3..300) * 100
            ),
            Self::Injury => format!("报警称在{at}与人发生纠纷被打伤"),
            Self::Robbery => format!("报警称在{at}被人持刀抢走手机和现金"),
            Self::DrugTrafficking => format!("群众举报{at}附近有人贩卖毒品"),
            Self::Provocation => format!("报警称{at}一饭店内有多人酒后闹事、随意殴打他人"),
            Self::DrunkDriving => format!("交警在{at}夜查中查获一名涉嫌酒后驾驶机动车人员"),
            Self::AidingCyberCrime => format!("银行反馈{at}网点有人频繁开卡并大额异常转账"),
            Self::IllegalDeposits => "群众报称某投资咨询公司以高息揽储后无法兑付".to_owned(),
            Self::Assault => format!("报警称在{at}因琐事与人发生口角并被殴打"),
            Self::PettyTheft => format!("报警称在{at}一超市内有人盗窃商品"),
            Self::Gambling => format!("群众举报{at}一棋牌室内有人聚众赌博"),
            Self::DrugUse => format!("群众举报{at}一出租屋内有人吸毒"),
            Self::Prostitution => format!("群众举报{at}一足浴店内有卖淫嫖娼活动"),
            Self::PublicDisorder => format!("报警称有人在{at}阻碍车辆通行、扰乱公共秩序"),
            Self::PropertyDamage => format!("报警称在{at}停放的车辆被人故意划损"),
            Self::PettyProvocation => format!("报警称{at}有人酒后无故滋事"),
        }
    }
}
