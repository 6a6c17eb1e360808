import { describe, expect, it } from "vitest";
import { mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createI18n } from "vue-i18n";
import { messages } from "../i18n.js";
import Countdown from "./Countdown.vue";
import StateTag from "./StateTag.vue";
import ClockBar from "./ClockBar.vue";

const plugins = (locale = "zh-CN") => [ElementPlus, createI18n({ legacy: false, locale, messages })];

describe("Countdown", () => {
  it("shows the time left in amber for a warning", () => {
    const w = mount(Countdown, { props: { due: "2026-03-05T00:00:00+08:00", now: Date.parse("2026-03-04T20:48:00+08:00"), state: "warning" }, global: { plugins: plugins() } });
    expect(w.text()).toBe("剩余 3小时12分");
    expect(w.find("span").classes()).toContain("cw-warning");
  });

  it("shows the time past due in red, in English when switched", () => {
    const w = mount(Countdown, { props: { due: "2026-03-05T00:00:00+08:00", now: Date.parse("2026-03-07T05:00:00+08:00"), state: "overdue" }, global: { plugins: plugins("en") } });
    expect(w.text()).toBe("overdue by 2d 5h");
    expect(w.find("span").classes()).toContain("cw-overdue");
  });

  it("shows nothing for a closed clock", () => {
    const w = mount(Countdown, { props: { due: "2026-03-05T00:00:00+08:00", now: 0, state: "met" }, global: { plugins: plugins() } });
    expect(w.text()).toBe("—");
  });
});

describe("StateTag", () => {
  it("names the state in Chinese, overdue in dark red", () => {
    const w = mount(StateTag, { props: { state: "overdue" }, global: { plugins: plugins() } });
    expect(w.text()).toBe("已超期");
    expect(w.html()).toContain("el-tag--danger");
  });
});

describe("ClockBar", () => {
  it("draws the elapsed part up to now with the due mark at its place", () => {
    const clock = { rule: "r", rule_name: "刑事拘留后送看守所", state: "running", started: "2026-03-02T00:00:00+08:00", due: "2026-03-03T00:00:00+08:00", explain: "依据…" };
    const w = mount(ClockBar, { props: { clock, now: Date.parse("2026-03-02T06:00:00+08:00") }, global: { plugins: plugins() } });
    expect(w.text()).toContain("刑事拘留后送看守所");
    expect(w.find(".cw-clock-fill").attributes("style")).toContain("width: 25%");
    expect(w.find(".cw-clock-due").attributes("style")).toContain("left: 100%");
    expect(w.text()).toContain("2026年3月2日 00:00");
  });
});
