import { describe, expect, it } from "vitest";
import { FORMS, buildEvent } from "./forms.js";
import { rollUp } from "./org.js";
import { allowed } from "./session.js";
import { ApiError } from "./api.js";
import { messages } from "./i18n.js";

describe("event forms", () => {
  const accepted = FORMS.find((f) => f.type === "case.accepted");
  const common = { id: "ui-1", case: "C1", at: "2026-03-01T09:00:00+08:00", unit: "PCS1", officer: "O-1" };

  it("builds one event of the interchange format", () => {
    const { event } = buildEvent(accepted, { kind: "criminal", cause: "盗窃", serious: false }, common);
    expect(event).toEqual({ id: "ui-1", type: "case.accepted", case: "C1", at: common.at, unit: "PCS1", officer: "O-1", data: { kind: "criminal", cause: "盗窃", serious: false } });
  });

  it("names every missing required field", () => {
    const seized = FORMS.find((f) => f.type === "property.seized");
    const { problems } = buildEvent(seized, {}, { ...common, case: "" });
    expect(Object.keys(problems).sort()).toEqual(["case", "kind", "subject"]);
  });

  it("has a label for every type, field and option in both languages", () => {
    for (const loc of ["zh-CN", "en"]) {
      const f = messages[loc].forms;
      for (const form of FORMS) {
        expect(f.types[form.type], `${loc} ${form.type}`).toBeTruthy();
        for (const field of form.fields) {
          expect(f.fields[field.name], `${loc} ${field.name}`).toBeTruthy();
          for (const o of field.options || []) expect(f.options[o], `${loc} ${o}`).toBeTruthy();
        }
      }
    }
  });
});

describe("the i18n catalogue", () => {
  const keys = (o, p = "") => Object.entries(o).flatMap(([k, v]) => (v && typeof v === "object" ? keys(v, `${p}${k}.`) : [`${p}${k}`]));
  it("has the same keys in Chinese and English", () => {
    expect(keys(messages.en).sort()).toEqual(keys(messages["zh-CN"]).sort());
  });
});

describe("dashboard drill-down", () => {
  const units = [
    { id: "SJ", name: "市局", parent: null, path: "/SJ/" },
    { id: "FJ1", name: "东湖分局", parent: "SJ", path: "/SJ/FJ1/" },
    { id: "P1", name: "东湖派出所", parent: "FJ1", path: "/SJ/FJ1/P1/" },
    { id: "P2", name: "湖滨派出所", parent: "FJ1", path: "/SJ/FJ1/P2/" },
    { id: "FJ2", name: "西城分局", parent: "SJ", path: "/SJ/FJ2/" },
  ];
  const rows = [
    { unit: "P1", state: "overdue", count: 3 },
    { unit: "P2", state: "warning", count: 2 },
    { unit: "FJ2", state: "overdue", count: 1 },
    { unit: "P1", state: "violated", count: 1 },
  ];

  it("sums the stations into their branches at the top", () => {
    const top = rollUp(units, rows, "/SJ/");
    expect(top.map((b) => [b.unit.id, b.overdue, b.warning, b.violated])).toEqual([["FJ1", 3, 2, 1], ["FJ2", 1, 0, 0]]);
  });

  it("shows the stations of a branch", () => {
    const fj1 = rollUp(units, rows, "/SJ/FJ1/");
    expect(fj1.map((b) => b.unit.id)).toEqual(["P1", "P2"]);
  });
});

describe("role-aware navigation", () => {
  it("shows the forms to officers, administration to administrators, dashboards not to administrators", () => {
    expect(allowed("record", ["officer"])).toBe(true);
    expect(allowed("record", ["leader"])).toBe(false);
    expect(allowed("admin", ["admin"])).toBe(true);
    expect(allowed("admin", ["officer"])).toBe(false);
    expect(allowed("dashboard", ["admin"])).toBe(false);
    expect(allowed("alerts", ["leader", "admin"])).toBe(true);
  });
});

describe("API errors", () => {
  it("map the server's details to form fields", () => {
    const e = new ApiError(400, { error: { code: "invalid_events", message: "1 条事件无效", details: [{ field: "data.kind", message: "必填" }, { field: "at", message: "时间在未来" }] } });
    expect(e.fieldErrors()).toEqual({ kind: "必填", at: "时间在未来" });
    expect(e.message).toBe("1 条事件无效");
  });
});
