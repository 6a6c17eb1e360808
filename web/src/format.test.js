import { describe, expect, it } from "vitest";
import { clockGeometry, countdown, toInstant, zhTime } from "./format.js";

describe("dates in the Chinese style", () => {
  it("writes instants as 2026年3月2日 10:23, as the server wrote them (+08:00)", () => {
    expect(zhTime("2026-03-02T10:23:00+08:00")).toBe("2026年3月2日 10:23");
    expect(zhTime("2026-03-02T10:23:00+08:00", "en")).toBe("2026-03-02 10:23");
    expect(zhTime(null)).toBe("");
  });

  it("turns a picked date into RFC 3339 in +08:00", () => {
    expect(toInstant(new Date("2026-03-02T02:23:00Z"))).toBe("2026-03-02T10:23:00+08:00");
  });
});

describe("countdowns", () => {
  const due = "2026-03-05T00:00:00+08:00";
  const at = (s) => Date.parse(s);

  it("counts down to due in hours and minutes", () => {
    expect(countdown(due, at("2026-03-04T20:48:00+08:00"))).toEqual({ overdue: false, text: "剩余 3小时12分" });
  });

  it("counts up past due in days and hours", () => {
    expect(countdown(due, at("2026-03-07T05:00:00+08:00"))).toEqual({ overdue: true, text: "已超期 2天5小时" });
    expect(countdown(due, at("2026-03-07T05:00:00+08:00"), "en").text).toBe("overdue by 2d 5h");
  });

  it("has nothing to say without a due instant", () => {
    expect(countdown(null, 0)).toBeNull();
  });
});

describe("clock bars", () => {
  it("places due and now on a bar from the start to the later of the two", () => {
    const g = clockGeometry({ started: "2026-03-02T00:00:00+08:00", due: "2026-03-03T00:00:00+08:00" }, Date.parse("2026-03-02T12:00:00+08:00"));
    expect(g).toMatchObject({ due: 100, end: 50, beyond: false });
    const late = clockGeometry({ started: "2026-03-02T00:00:00+08:00", due: "2026-03-03T00:00:00+08:00", stopped: "2026-03-04T00:00:00+08:00" }, 0);
    expect(late).toMatchObject({ due: 50, end: 100, stopped: true, beyond: true });
  });

  it("draws nothing for a clock without a sensible span", () => {
    expect(clockGeometry({ started: "x", due: "2026-03-03T00:00:00+08:00" }, 0)).toBeNull();
  });
});
