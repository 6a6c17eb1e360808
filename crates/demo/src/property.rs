//! Seized property and frozen accounts: seizure, hand-over to the property centre, use for
//! appraisal, and the final return, disposal or transfer; freezes with their renewals.

use rand::Rng;
use serde_json::{Map, Value, json};

use crate::case::{Account, CaseCtx, Fate, Item};
use crate::clock::{DAY, format_cst};
use crate::names::{BANKS, anonymised_name, pick};
use crate::timeline::Subject;

/// What is seized: `kind` (`seize`, `seal`, `obtain`), category, description, quantity.
#[derive(Debug, Clone)]
pub(crate) struct Seizure {
    /// `seize`, `seal` or `obtain`.
    pub kind: &'static str,
    /// `cash`, `vehicle`, `phone`, `drug`, `weapon`, `document` or `other`.
    pub category: &'static str,
    /// What it is, in Chinese.
    pub description: String,
    /// How many or how much, when countable.
    pub quantity: Option<u32>,
    /// What becomes of it.
    pub fate: Fate,
}

/// How a case ends, as far as its property is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settlement {
    /// 移送审查起诉: evidence goes with the file.
    Transfer,
    /// 撤销案件 / 不予立案: everything goes back, contraband is destroyed.
    Drop,
    /// 行政处罚决定: evidence goes back, contraband and illegal gains are confiscated.
    Decision,
}

impl CaseCtx<'_> {
    /// Seizes an item (`property.seized`), hands it to the property centre (`property.stored`),
    /// now and then lends it out for appraisal, and for stolen goods returns them to the owner.
    /// Items that wait for the case's end are kept in `self.items`.
    pub fn seize(&mut self, at: i64, what: Seizure, return_to_owner: bool) {
        let subject = self.new_item();
        let mut data = Map::with_capacity(6);
        data.insert("kind".into(), Value::String(what.kind.into()));
        data.insert("category".into(), Value::String(what.category.into()));
        data.insert("description".into(), Value::String(what.description));
        if let Some(q) = what.quantity {
            data.insert("quantity".into(), Value::from(q));
        }
        if what.kind != "obtain" {
            // The list (扣押清单) and a witness are missing now and then.
            data.insert("list".into(), Value::Bool(self.chance(0.97)));
            if self.chance(0.95) {
                data.insert(
                    "witness".into(),
                    Value::String(anonymised_name(&mut self.rng)),
                );
            }
        }
        self.push(at, "property.seized", subject, Value::Object(data));

        let stored = match self.roll() {
            _ if what.kind == "obtain" && return_to_owner => None,
            0..92 => Some(at + self.mins(40, 20 * 60)),
            92..97 => Some(at + self.hours(26, 72)),
            _ => None,
        };
        if let Some(t) = stored {
            let location = if what.category == "vehicle" {
                "涉案车辆停车场"
            } else {
                "涉案财物管理中心"
            };
            self.push(
                t,
                "property.stored",
                subject,
                json!({ "location": location }),
            );
            if what.fate == Fate::Evidence && !return_to_owner && self.chance(0.25) {
                let t = t + self.days(1, 8);
                self.check_out(t, subject, what.category);
            }
        }
        if return_to_owner {
            let t = stored.unwrap_or(at) + self.days(1, 12);
            self.push(t, "property.returned", subject, Value::Null);
        } else {
            self.items.push(Item {
                subject,
                seized: at,
                fate: what.fate,
            });
        }
    }

    /// Lends an item out (`property.checked_out`) and, usually on time, takes it back.
    fn check_out(&mut self, at: i64, subject: Subject, category: &str) {
        let purpose = match category {
            "drug" => "毒品成分鉴定",
            "phone" => "电子数据提取",
            "vehicle" => "车辆痕迹检验",
            _ => "辨认",
        };
        let due = at + self.days(1, 3);
        self.push(
            at,
            "property.checked_out",
            subject,
            json!({"purpose": purpose, "due_back": format_cst(due)}),
        );
        let back = match self.roll() {
            0..88 => Some(at + self.mins(120, (due - at) / 60 - 30)),
            88..96 => Some(due + self.days(1, 5)),
            _ => None,
        };
        if let Some(t) = back {
            self.push(
                t,
                "property.checked_in",
                subject,
                json!({ "purpose": purpose }),
            );
        }
    }

    /// Records the fate of every item still held, around `at`; now and then one is forgotten.
    /// In administrative cases a long hold first gets its extension (延长扣押期限).
    pub fn settle_items(&mut self, at: i64, how: Settlement) {
        let items = std::mem::take(&mut self.items);
        for item in items {
            if how == Settlement::Decision && at > item.seized + 25 * DAY && self.chance(0.85) {
                let t = item.seized + self.days(20, 28);
                self.push(t, "property.seizure_extended", item.subject, Value::Null);
            }
            if self.chance(0.03) {
                continue;
            }
            let t = (at - self.hours(1, 48)).max(item.seized + DAY);
            match (how, item.fate) {
                (Settlement::Transfer, _) => {
                    self.push(t, "property.transferred", item.subject, Value::Null);
                }
                (Settlement::Drop | Settlement::Decision, Fate::Evidence) => {
                    self.push(t, "property.returned", item.subject, Value::Null);
                }
                (Settlement::Drop, Fate::Contraband) => {
                    self.push(
                        t,
                        "property.disposed",
                        item.subject,
                        json!({ "method": "销毁" }),
                    );
                }
                (Settlement::Decision, Fate::Contraband) => {
                    let t = at + self.hours(1, 120);
                    self.push(
                        t,
                        "property.disposed",
                        item.subject,
                        json!({ "method": "没收" }),
                    );
                }
            }
        }
    }

    /// Freezes an account (`freeze.started`, six months).
    pub fn freeze(&mut self, at: i64) {
        let subject = self.new_account();
        let bank = pick(&mut self.rng, BANKS);
        let tail: u32 = self.rng.random_range(0..10_000);
        self.push(
            at,
            "freeze.started",
            subject,
            json!({"months": 6, "bank": bank, "account": format!("6228****{tail:04}")}),
        );
        self.accounts.push(Account {
            subject,
            frozen: at,
        });
    }

    /// Renews each freeze before it runs out (usually) while the case goes on, and lifts it
    /// shortly before `end` if the case ends (`None`: still open, renewals continue as due).
    pub fn settle_accounts(&mut self, end: Option<i64>) {
        let accounts = std::mem::take(&mut self.accounts);
        for a in &accounts {
            let end_at = end.map(|e| (e - self.days(1, 5)).max(a.frozen + DAY));
            let mut expires = a.frozen + 181 * DAY;
            // Renewals until the case ends; open cases get them until "now" cuts them off.
            while end_at.is_none_or(|e| e > expires - 30 * DAY)
                && expires < a.frozen + 3 * 365 * DAY
            {
                if self.chance(0.08) {
                    // Missed the renewal: the freeze lapses, as the rule will show.
                    break;
                }
                let t = expires - self.days(8, 30);
                self.push(t, "freeze.renewed", a.subject, json!({ "months": 6 }));
                expires += 181 * DAY;
            }
            if let Some(t) = end_at {
                self.push(t, "freeze.ended", a.subject, Value::Null);
            }
        }
        self.accounts = accounts;
    }
}
