import { api } from "./api.js";

// The unit tree, for names, filters and drill-down.
let cache = null;

export async function loadOrg() {
  if (!cache) {
    cache = api("/api/v1/org").catch((e) => {
      cache = null;
      throw e;
    });
  }
  return cache;
}

export function unitName(units, id) {
  return units.find((u) => u.id === id)?.name || id || "—";
}

/// The child of `parentPath` (a unit path, or "" for the top) on the way to `path`, or null if
/// `path` is not below it.
export function childOnTheWay(units, parentPath, path) {
  if (!path || !path.startsWith(parentPath || "/") || path === parentPath) return null;
  const rest = path.slice((parentPath || "/").length);
  const next = rest.split("/")[0];
  return units.find((u) => u.path === `${parentPath || "/"}${next}/`) || null;
}

/// Counts by state summed per child of `parentPath`: [{unit, overdue, warning, violated}].
export function rollUp(units, rows, parentPath) {
  const byId = new Map(units.map((u) => [u.id, u]));
  const out = new Map();
  for (const r of rows) {
    const u = byId.get(r.unit);
    if (!u) continue;
    const child = u.path === parentPath ? u : childOnTheWay(units, parentPath, u.path);
    if (!child) continue;
    const acc = out.get(child.id) || { unit: child, overdue: 0, warning: 0, violated: 0 };
    if (r.state in acc) acc[r.state] += r.count;
    out.set(child.id, acc);
  }
  return [...out.values()].sort((a, b) => b.overdue + b.warning - (a.overdue + a.warning));
}
