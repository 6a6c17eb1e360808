//! The Cedar authorizer: loading a policy folder and deciding one request.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;

use cedar_policy::{
    Context, Decision as CedarDecision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression, Schema,
};

use crate::error::AuthzError;
use crate::load::{self, Loaded, POLICY_EXTENSION, SCHEMA_FILE};
use crate::{Action, Principal, PrincipalKind, Resource, UnitPath};

/// The files of the repository's `policies/` folder, embedded by `build.rs`.
mod standard {
    include!(concat!(env!("OUT_DIR"), "/standard_policies.rs"));
}

/// The id given to the one case entity of a request: policies decide on the case's unit only,
/// so the real case id is not needed and a fixed one stands in for it.
const CASE_ID: &str = "requested-case";

/// The id of the rule pack entity.
const RULE_PACK_ID: &str = "active";

/// The result of one decision, with the policies that allowed it (for the audit trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the action is allowed.
    pub allowed: bool,
    /// The `@id`s of the policies that allowed it; empty when denied.
    pub policies: Vec<String>,
}

/// The entity type names of the schema, parsed once.
struct Types {
    unit: EntityTypeName,
    role: EntityTypeName,
    user: EntityTypeName,
    token: EntityTypeName,
    case: EntityTypeName,
    rule_pack: EntityTypeName,
    action: EntityTypeName,
}

impl Types {
    fn new() -> Result<Self, AuthzError> {
        let t = |name: &str| {
            EntityTypeName::from_str(name)
                .map_err(|e| AuthzError::Request(format!("entity type `{name}`: {e}")))
        };
        Ok(Self {
            unit: t("Unit")?,
            role: t("Role")?,
            user: t("User")?,
            token: t("Token")?,
            case: t("Case")?,
            rule_pack: t("RulePack")?,
            action: t("Action")?,
        })
    }
}

/// How many decisions [`Authorizer`] remembers; when full, it forgets them all and starts over.
/// A bureau has a few hundred units and a few dozen kinds of principal, so in practice the
/// memo holds every decision the server ever makes.
const MEMO_CAPACITY: usize = 16_384;

/// What a decision depends on: the whole principal (id included), the action and the resource.
type MemoKey = (Principal, Action, Resource);

/// Decides requests against a validated Cedar schema and policy set.
///
/// Build one at start-up ([`Authorizer::standard`]) and share it: deciding takes `&self`.
///
/// A decision is a pure function of the policies (fixed for the authorizer's life) and of the
/// request, so decisions are memoized: building a Cedar request with its entities and
/// evaluating it costs tens of microseconds, and ingestion asks once for every unit of every
/// batch. Errors are not memoized.
pub struct Authorizer {
    /// The schema; requests and entities are checked against it too.
    schema: Schema,
    /// The policies, each with its `@id` as policy id.
    policies: PolicySet,
    /// Cedar's evaluator (stateless).
    cedar: cedar_policy::Authorizer,
    types: Types,
    memo: std::sync::Mutex<HashMap<MemoKey, Decision>>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer")
            .field("policies", &self.policy_ids())
            .finish_non_exhaustive()
    }
}

impl Authorizer {
    /// Loads a policy folder: `casewatch.cedarschema` and every `*.cedar` file (other files,
    /// such as the README, are ignored). Every policy needs a unique `@id("...")` annotation
    /// and must pass Cedar's strict validation against the schema; otherwise the error lists
    /// every problem with its file, line and column.
    ///
    /// Note that the SQL filter of list endpoints ([`crate::scope`]) mirrors the policies of
    /// this repository; a folder with other policies makes the two disagree. Use this to check
    /// an edited copy of `policies/` (and in tests); the server uses [`Authorizer::standard`].
    pub fn load(dir: &Path) -> Result<Authorizer, AuthzError> {
        let io = |path: &Path, source| AuthzError::Io {
            path: path.to_owned(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
            let path = entry.map_err(|e| io(dir, e))?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name == SCHEMA_FILE || path.extension().is_some_and(|x| x == POLICY_EXTENSION) {
                let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
                files.push((name.to_owned(), text));
            }
        }
        files.sort();
        Self::from_files(&files)
    }

    /// The repository's `policies/` folder, embedded at build time.
    pub fn standard() -> Result<Authorizer, AuthzError> {
        let files: Vec<(String, String)> = standard::FILES
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
            .collect();
        Self::from_files(&files)
    }

    /// Builds an authorizer from `(file name, text)` pairs, as [`Authorizer::load`] reads them
    /// from a folder.
    pub fn from_files(files: &[(String, String)]) -> Result<Authorizer, AuthzError> {
        let Loaded { schema, policies } = load::load_files(files)?;
        Ok(Authorizer {
            schema,
            policies,
            cedar: cedar_policy::Authorizer::new(),
            types: Types::new()?,
            memo: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// The `@id`s of the loaded policies, sorted.
    pub fn policy_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .policies
            .policies()
            .map(|p| p.id().to_string())
            .collect();
        ids.sort();
        ids
    }

    /// Whether `principal` may do `action` on `resource`. Any failure to decide is a denial;
    /// use [`Authorizer::decide`] to log why.
    pub fn is_allowed(&self, principal: &Principal, action: Action, resource: &Resource) -> bool {
        self.decide(principal, action, resource)
            .is_ok_and(|d| d.allowed)
    }

    /// Decides one request and names the policies that allowed it.
    ///
    /// Errors (all of them mistakes of the caller or of this crate, never of the user):
    /// a resource of the wrong kind for the action (a unit for [`Action::ReadRules`], the
    /// global resource for [`Action::ReadCase`] …), or Cedar refusing the request or failing
    /// to evaluate a policy. The server should treat an error as a denial and log it.
    pub fn decide(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource,
    ) -> Result<Decision, AuthzError> {
        let key = (principal.clone(), action, resource.clone());
        if let Some(d) = self.memo().get(&key) {
            return Ok(d.clone());
        }
        let decision = self.decide_uncached(principal, action, resource)?;
        let mut memo = self.memo();
        if memo.len() >= MEMO_CAPACITY {
            memo.clear();
        }
        memo.insert(key, decision.clone());
        Ok(decision)
    }

    /// The memo of decisions (a poisoned lock only means a panic elsewhere while it was held;
    /// the map is still consistent, as every insert is a single call).
    fn memo(&self) -> std::sync::MutexGuard<'_, HashMap<MemoKey, Decision>> {
        self.memo
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// [`Authorizer::decide`] without the memo: asks Cedar.
    pub fn decide_uncached(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource,
    ) -> Result<Decision, AuthzError> {
        let (request, entities) = self.request(principal, action, resource)?;
        let response = self
            .cedar
            .is_authorized(&request, &self.policies, &entities);
        let errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(ToString::to_string)
            .collect();
        if !errors.is_empty() {
            // Fail closed: a policy that errs is skipped by Cedar, which could turn a `forbid`
            // into an allow.
            return Err(AuthzError::Request(errors.join("; ")));
        }
        let allowed = response.decision() == CedarDecision::Allow;
        let mut policies: Vec<String> = if allowed {
            response
                .diagnostics()
                .reason()
                .map(ToString::to_string)
                .collect()
        } else {
            Vec::new()
        };
        policies.sort();
        Ok(Decision { allowed, policies })
    }

    /// The Cedar request and its entities: the principal with his roles, the resource, and
    /// every unit they name with all the units above it.
    fn request(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource,
    ) -> Result<(Request, Entities), AuthzError> {
        let t = &self.types;
        let uid = |ty: &EntityTypeName, id: &str| {
            EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
        };
        let unit_uid = |u: &UnitPath| uid(&t.unit, u.as_str());
        let entity = |uid: EntityUid,
                      attrs: Vec<(&str, RestrictedExpression)>,
                      parents: HashSet<EntityUid>| {
            let attrs: HashMap<String, RestrictedExpression> =
                attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            Entity::new(uid, attrs, parents).map_err(|e| AuthzError::Request(e.to_string()))
        };

        // Every unit named, with its ancestors; keyed by path so that each appears once.
        let mut units: BTreeSet<UnitPath> = BTreeSet::new();
        let mut add_unit = |u: &UnitPath| {
            for a in u.self_and_ancestors() {
                units.insert(a);
            }
        };
        add_unit(&principal.unit);
        if let PrincipalKind::Token { ingest_units } = &principal.kind {
            ingest_units.iter().for_each(&mut add_unit);
        }

        let mut entities = Vec::new();
        let resource_uid = match (action.is_global(), resource) {
            (false, Resource::OwnedBy(unit)) => {
                add_unit(unit);
                if matches!(action, Action::ReadCase | Action::ReadPersonalData) {
                    let case = uid(&t.case, CASE_ID);
                    let attrs =
                        vec![("unit", RestrictedExpression::new_entity_uid(unit_uid(unit)))];
                    entities.push(entity(
                        case.clone(),
                        attrs,
                        HashSet::from([unit_uid(unit)]),
                    )?);
                    case
                } else {
                    unit_uid(unit)
                }
            }
            (true, Resource::Global) => {
                let pack = uid(&t.rule_pack, RULE_PACK_ID);
                entities.push(Entity::new_no_attrs(pack.clone(), HashSet::new()));
                pack
            }
            (true, Resource::OwnedBy(_)) => {
                return Err(AuthzError::Request(format!(
                    "action `{action}` applies to the whole system, not to a unit"
                )));
            }
            (false, Resource::Global) => {
                return Err(AuthzError::Request(format!(
                    "action `{action}` applies to data owned by a unit, not to the whole system"
                )));
            }
        };

        for u in units {
            let parents = u.parent().iter().map(unit_uid).collect();
            let attrs = vec![(
                "top_level",
                RestrictedExpression::new_bool(u.is_top_level()),
            )];
            entities.push(entity(unit_uid(&u), attrs, parents)?);
        }
        let roles: HashSet<EntityUid> = principal
            .roles
            .iter()
            .map(|r| uid(&t.role, r.as_str()))
            .collect();
        for r in &roles {
            entities.push(Entity::new_no_attrs(r.clone(), HashSet::new()));
        }
        let unit_attr = (
            "unit",
            RestrictedExpression::new_entity_uid(unit_uid(&principal.unit)),
        );
        let principal_uid = match &principal.kind {
            PrincipalKind::User => {
                let p = uid(&t.user, &principal.id);
                entities.push(entity(p.clone(), vec![unit_attr], roles)?);
                p
            }
            PrincipalKind::Token { ingest_units } => {
                let p = uid(&t.token, &principal.id);
                let scope = RestrictedExpression::new_set(
                    ingest_units
                        .iter()
                        .map(|u| RestrictedExpression::new_entity_uid(unit_uid(u))),
                );
                entities.push(entity(
                    p.clone(),
                    vec![unit_attr, ("ingest_units", scope)],
                    roles,
                )?);
                p
            }
        };

        let entities = Entities::from_entities(entities, Some(&self.schema))
            .map_err(|e| AuthzError::Request(e.to_string()))?;
        let request = Request::new(
            principal_uid,
            uid(&t.action, action.as_str()),
            resource_uid,
            Context::empty(),
            Some(&self.schema),
        )
        .map_err(|e| AuthzError::Request(e.to_string()))?;
        Ok((request, entities))
    }
}
