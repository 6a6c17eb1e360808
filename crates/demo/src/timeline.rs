//! One case's events before they are written: collected in any order, then sorted by `at`,
//! cut at "now", numbered and turned into JSON.

use serde_json::{Map, Value};

use crate::clock::format_cst;

/// What an event is about, within its case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    /// A case-level event.
    None,
    /// A person, written `P1`, `P2` ….
    Person(u8),
    /// A seized item, written `W1`, `W2` … (物品).
    Item(u8),
    /// A frozen account, written `F1`, `F2` ….
    Account(u8),
}

impl Subject {
    fn to_value(self) -> Option<Value> {
        let (prefix, n) = match self {
            Self::None => return None,
            Self::Person(n) => ('P', n),
            Self::Item(n) => ('W', n),
            Self::Account(n) => ('F', n),
        };
        let mut s = String::with_capacity(4);
        s.push(prefix);
        push_number(&mut s, usize::from(n), 1);
        Some(Value::String(s))
    }
}

/// An event not yet written.
#[derive(Debug)]
pub(crate) struct Pending {
    /// When it happened, Unix seconds.
    pub at: i64,
    /// The event type.
    pub ty: &'static str,
    /// What it is about.
    pub subject: Subject,
    /// Its `data`; `Null` for none.
    pub data: Value,
    /// For `event.retracted`: the index (in push order) of the event it retracts.
    pub retracts: Option<usize>,
}

/// The ids and names every event of a case carries.
pub(crate) struct CaseRefs<'a> {
    /// The case id.
    pub case: &'a str,
    /// The handling unit's id.
    pub unit: &'a str,
    /// The lead officer (主办民警).
    pub lead: &'a str,
    /// The second officer (协办民警).
    pub assist: &'a str,
}

/// The events of one case, reused from case to case so that generating allocates little.
#[derive(Debug)]
pub(crate) struct Timeline {
    /// Empty event objects with the keys in order, by `[has subject][has data]`; see
    /// [`Timeline::next_value`].
    templates: [[Map<String, Value>; 2]; 2],
    events: Vec<Pending>,
    /// After [`Timeline::seal`]: `(at, push index)` of the events to write, in order.
    order: Vec<(i64, usize)>,
    /// After [`Timeline::seal`]: the 1-based number of each event (by push index), 0 if cut.
    position: Vec<usize>,
    /// The next entry of `order` to write.
    cursor: usize,
}

impl Default for Timeline {
    fn default() -> Self {
        let t = |subject: bool, data: bool| {
            let mut m = Map::with_capacity(8);
            for key in [
                "id", "type", "case", "subject", "at", "unit", "officer", "data",
            ] {
                if (key != "subject" || subject) && (key != "data" || data) {
                    m.insert(key.into(), Value::Null);
                }
            }
            m
        };
        Self {
            templates: [
                [t(false, false), t(false, true)],
                [t(true, false), t(true, true)],
            ],
            events: Vec::new(),
            order: Vec::new(),
            position: Vec::new(),
            cursor: 0,
        }
    }
}

impl Timeline {
    /// Forgets the previous case.
    pub fn clear(&mut self) {
        self.events.clear();
        self.order.clear();
        self.position.clear();
        self.cursor = 0;
    }

    /// Adds an event; returns its index in push order.
    pub fn push(&mut self, at: i64, ty: &'static str, subject: Subject, data: Value) -> usize {
        self.events.push(Pending {
            at,
            ty,
            subject,
            data,
            retracts: None,
        });
        self.events.len() - 1
    }

    /// Adds an `event.retracted` of the event at `target` (an index from [`Timeline::push`]).
    pub fn push_retraction(&mut self, at: i64, target: usize) {
        self.events.push(Pending {
            at,
            ty: "event.retracted",
            subject: Subject::None,
            data: Value::Null,
            retracts: Some(target),
        });
    }

    /// The events pushed so far, in push order.
    pub fn events(&self) -> &[Pending] {
        &self.events
    }

    /// Ends the case: keeps the events that happened at or before `now`, ordered by `at`, ties
    /// in push order, and numbers them 1, 2 … in that order.
    pub fn seal(&mut self, now: i64) {
        self.order.clear();
        self.order.extend(
            self.events
                .iter()
                .enumerate()
                .filter(|(_, e)| e.at <= now)
                .map(|(i, e)| (e.at, i)),
        );
        // INVARIANT: the keys are unique (push index), so the unstable sort is deterministic.
        self.order.sort_unstable();
        self.position.clear();
        self.position.resize(self.events.len(), 0);
        for (p, &(_, i)) in self.order.iter().enumerate() {
            if let Some(slot) = self.position.get_mut(i) {
                *slot = p + 1;
            }
        }
        self.cursor = 0;
    }

    /// The next sealed event as JSON, or `None` when the case is written out.
    ///
    /// Events are turned into JSON one at a time, as they are asked for, rather than the whole
    /// case at once: a consumer usually drops each value before asking for the next, so the
    /// allocator reuses the same few blocks instead of churning through hundreds.
    pub fn next_value(&mut self, refs: &CaseRefs<'_>) -> Option<Value> {
        loop {
            let &(at, i) = self.order.get(self.cursor)?;
            self.cursor += 1;
            let (Some(e), Some(&n)) = (self.events.get_mut(i), self.position.get(i)) else {
                continue;
            };
            let data = match e.retracts {
                Some(target) => match self.position.get(target) {
                    Some(&t) if t > 0 => {
                        let mut d = Map::with_capacity(2);
                        d.insert("target".into(), Value::String(event_id(refs.case, t)));
                        d.insert("reason".into(), Value::String("误录".into()));
                        Value::Object(d)
                    }
                    // The retracted event lies after "now"; so then does the retraction.
                    _ => continue,
                },
                None => std::mem::take(&mut e.data),
            };
            let subject = e.subject.to_value();
            // Cloning a template copies its hash table as it is; inserting the keys one by one
            // would hash each of them again, which is a third of the cost of an event.
            let template = self
                .templates
                .get(usize::from(subject.is_some()))
                .and_then(|t| t.get(usize::from(!data.is_null())));
            let mut m = Map::with_capacity(8);
            // `clone_from` into a map of capacity 8 rather than `clone`: a clone sizes its
            // entries to the template's hash-table capacity (14), which for this entry type is
            // above 1 KiB and drives glibc's allocator into its slow consolidating path.
            if let Some(t) = template {
                m.clone_from(t);
            }
            // Most entries are made by the lead officer; every fourth by the second officer.
            let officer = if i % 4 == 3 { refs.assist } else { refs.lead };
            // INVARIANT: the template has exactly these keys, in this order, `subject` and
            // `data` only when present.
            let mut slots = m.values_mut();
            let mut put = |v: Value| {
                if let Some(slot) = slots.next() {
                    *slot = v;
                }
            };
            put(Value::String(event_id(refs.case, n)));
            put(Value::String(e.ty.to_owned()));
            put(Value::String(refs.case.to_owned()));
            if let Some(s) = subject {
                put(s);
            }
            put(Value::String(format_cst(at)));
            put(Value::String(refs.unit.to_owned()));
            put(Value::String(officer.to_owned()));
            if !data.is_null() {
                put(data);
            }
            return Some(Value::Object(m));
        }
    }
}

/// The id of the `n`-th event of a case: `{case}-{nn}`.
fn event_id(case: &str, n: usize) -> String {
    let mut s = String::with_capacity(case.len() + 4);
    s.push_str(case);
    s.push('-');
    push_number(&mut s, n, 2);
    s
}

/// Writes `n` in decimal with at least `width` digits.
fn push_number(s: &mut String, n: usize, width: usize) {
    let mut digits = [b'0'; 20];
    let mut len = 0;
    let mut rest = n;
    while (rest > 0 || len < width) && len < digits.len() {
        if let Some(d) = digits.get_mut(len) {
            // INVARIANT: rest % 10 < 10, so the cast is exact.
            *d = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        len += 1;
    }
    for d in digits.iter().take(len).rev() {
        s.push(char::from(*d));
    }
}
