// End-to-end tests of the web UI: starts `casewatch serve --demo` on a fresh SQLite database,
// drives Debian's chromium with playwright-core (no browser is downloaded), and saves
// screenshots of the main pages to e2e/artifacts/. Run by scripts/test; alone:
//   CASEWATCH_BIN=../target/debug/casewatch node e2e/run.mjs
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(process.env.CASEWATCH_BIN || join(here, "../../target/debug/casewatch"));
const ART = join(here, "artifacts");
mkdirSync(ART, { recursive: true });

const PASS = (role) => `Demo#2026-${role}`;
const ACCOUNTS = { officer: "O-900001", legal_officer: "O-900002", legal_dept: "O-900003", leader: "O-900004", admin: "O-900005" };

/// The text box of a form control: Element Plus puts attributes on the <input> itself for
/// el-input, and on a wrapper for pickers.
const inp = (name) => `input[data-test="${name}"], [data-test="${name}"] input`;

function fail(msg) {
  throw new Error(msg);
}
function check(cond, msg) {
  if (!cond) fail(msg);
}

async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), "cw-e2e-"));
  const child = spawn(BIN, ["serve", "--database", `sqlite://${join(dir, "e2e.db")}`, "--listen", "127.0.0.1:0", "--demo", "--demo-cases", "400"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: "warn" },
  });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const base = await new Promise((ok, ko) => {
    let out = "";
    const timer = setTimeout(() => ko(new Error(`the server did not start in 120 s:\n${stderr}`)), 120000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /http:\/\/([0-9.:]+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        // The demo officer is a rostered officer of the demo bureau: take his 警号 from the list.
        const officer = /^\s*officer\s+警号 (\S+)/m.exec(out);
        if (officer) ACCOUNTS.officer = officer[1];
        ok(`http://${m[1]}`);
      }
    });
    child.on("exit", (code) => ko(new Error(`the server exited (${code}):\n${stderr}`)));
  });
  return { base, stop: () => { child.kill("SIGTERM"); rmSync(dir, { recursive: true, force: true }); } };
}

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

async function main() {
  const server = await startServer();
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: FLAGS, headless: true });
  const problems = [];
  const results = [];

  async function session(role, viewport = { width: 1366, height: 768 }) {
    const context = await browser.newContext({ viewport, locale: "zh-CN", timezoneId: "Asia/Shanghai" });
    const page = await context.newPage();
    open.add(page);
    page.on("pageerror", (e) => problems.push(`${role}: page error: ${e.message}`));
    page.on("console", (m) => {
      // Refused requests the test provokes are logged by the browser itself; app errors are not allowed.
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(`${role}: console: ${m.text()}`);
    });
    await page.goto(`${server.base}/`);
    await page.waitForSelector('[data-test="user"]');
    await page.fill(inp("user"), ACCOUNTS[role]);
    await page.fill(inp("password"), PASS(role));
    await page.click('[data-test="submit"]');
    await page.waitForSelector('[data-test="me"]');
    return { context, page };
  }

  const open = new Set();
  async function step(name, fn) {
    const t0 = Date.now();
    try {
      await fn();
      results.push(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      results.push(`FAIL ${name}: ${e.message}`);
      let i = 0;
      for (const p of open) {
        if (!p.isClosed()) await p.screenshot({ path: join(ART, `failed-${results.length}-${i++}.png`), fullPage: true }).catch(() => {});
      }
    }
  }

  try {
    const legal = await session("legal_dept");
    const { page } = legal;

    await step("the dashboard is populated on first start", async () => {
      await page.waitForSelector('[data-test="dashboard"]');
      await page.waitForFunction(() => Number(document.querySelector('[data-test="kpi-overdue"] .n')?.textContent) > 0, null, { timeout: 15000 });
      await page.waitForSelector('[data-test="unit-chart"] canvas');
      const text = await page.textContent('[data-test="dashboard"]');
      check(text.includes("监督覆盖率") && text.includes("各单位超期与预警"), "dashboard labels in Chinese");
      await page.waitForTimeout(800); // let the charts animate in
      await page.screenshot({ path: join(ART, "dashboard-1366.png"), fullPage: true });
    });

    await step("the warning centre filters by state and rule", async () => {
      await page.click('[data-nav="alerts"]');
      await page.waitForSelector('[data-test="alert-table"] .el-table__row');
      // Only overdue: pick the state filter down to 已超期.
      await page.goto(`${server.base}/alerts`);
      await page.waitForSelector('[data-test="alert-table"] .el-table__row');
      const states = await page.$$eval('[data-test="alert-table"] [data-state]', (els) => [...new Set(els.map((e) => e.dataset.state))]);
      check(states.every((s) => ["overdue", "warning", "violated"].includes(s)), `default states: ${states}`);
      // Filter by the rule of the first row: every row is then that rule's.
      const rule = await page.getAttribute('[data-test="alert-table"] [data-rule]', "data-rule");
      await page.goto(`${server.base}/alerts?rule=${rule}`);
      await page.waitForSelector('[data-test="alert-table"] .el-table__row');
      const rules = await page.$$eval('[data-test="alert-table"] [data-rule]', (els) => [...new Set(els.map((e) => e.dataset.rule))]);
      check(rules.length === 1 && rules[0] === rule, `rule filter: ${rules}`);
      const total = await page.textContent(".el-pagination__total");
      check(/共 \d+ 条/.test(total), `total: ${total}`);
      const countdown = await page.textContent('[data-test="alert-table"] [data-test="countdown"]');
      check(/已超期|剩余/.test(countdown), `countdown text: ${countdown}`);
      await page.screenshot({ path: join(ART, "alerts-1366.png"), fullPage: true });
    });

    await step("a case page draws its clocks as bars", async () => {
      await page.goto(`${server.base}/alerts`);
      await page.waitForSelector('[data-test="case-link"]');
      await page.click('[data-test="case-link"]');
      await page.waitForSelector('[data-test="clocks"] .cw-clock');
      const n = await page.$$eval('[data-test="clocks"] .cw-clock-track', (els) => els.length);
      check(n > 0, "at least one clock bar");
      const masked = await page.textContent('[data-test="persons"]');
      check(!/\d{17}[\dX]/.test(masked), "身份证号 masked");
      await page.screenshot({ path: join(ART, "case-1366.png"), fullPage: true });
    });

    const officer = await session("officer");
    const caseId = `E2E-${Date.now()}`;

    await step("a form refused by the server shows the error beside the field, then succeeds", async () => {
      const p = officer.page;
      await p.click('[data-nav="record"]');
      await p.waitForSelector('[data-test="record"]');
      // Nothing filled: the required fields say so.
      await p.click('[data-test="record-submit"]');
      await p.waitForSelector('.el-form-item__error');
      const first = await p.$$eval(".el-form-item__error", (els) => els.map((e) => e.textContent));
      check(first.some((t) => t.includes("必填")), `client-side: ${first}`);
      // A case accepted a day in the future: the server refuses `at`, shown beside 发生时间.
      await p.fill(inp("field-case"), caseId);
      await p.click('[data-test="field-kind"]');
      await p.click('.el-select-dropdown__item:has-text("刑事")');
      const future = new Date(Date.now() + 86400000);
      const pad = (n) => String(n).padStart(2, "0");
      const local = `${future.getFullYear()}-${pad(future.getMonth() + 1)}-${pad(future.getDate())} 10:00:00`;
      await p.fill(inp("item-at"), local);
      await p.keyboard.press("Enter");
      await p.click('[data-test="record-submit"]');
      await p.waitForSelector('[data-test="record-error"]');
      const atError = await p.textContent('.el-form-item.is-error');
      check(atError.includes("发生时间"), `the error sits at the time field: ${atError}`);
      await p.screenshot({ path: join(ART, "record-error-1366.png"), fullPage: true });
      // Corrected: now.
      await p.fill(inp("item-at"), "");
      const now = new Date(Date.now() - 60000);
      await p.fill(inp("item-at"), `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:00`);
      await p.keyboard.press("Enter");
      await p.click('[data-test="record-submit"]');
      await p.waitForSelector('.el-message--success');
    });

    await step("a new transition appears in the warning centre without reloading", async () => {
      // The officer records a checked-out item due back in 4 s; the legal department watches.
      await page.goto(`${server.base}/alerts`);
      await page.waitForSelector('[data-test="live"]');
      await page.waitForFunction(() => document.querySelector('[data-test="live"]').textContent.includes("实时"), null, { timeout: 10000 });
      await page.fill(inp("f-case"), caseId);
      await page.click('[data-test="search"]');
      const iso = (ms) => new Date(ms + 8 * 3600000).toISOString().slice(0, 19) + "+08:00";
      const t = Date.now();
      const csrf = await officer.page.evaluate(async () => (await (await fetch("/api/v1/auth/me")).json()).csrf_token);
      const r = await officer.page.evaluate(async ({ body, csrf }) => {
        const res = await fetch("/api/v1/events", { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": csrf }, body: JSON.stringify(body) });
        return [res.status, await res.text()];
      }, { csrf, body: [
        { id: `${caseId}-p1`, type: "property.seized", case: caseId, subject: "W1", at: iso(t - 50000), data: { kind: "seize", category: "phone" } },
        { id: `${caseId}-p2`, type: "property.checked_out", case: caseId, subject: "W1", at: iso(t - 40000), data: { purpose: "鉴定", due_back: iso(t + 4000) } },
      ] });
      check(r[0] === 200, `posted: ${r}`);
      await page.waitForSelector('[data-test="alert-table"] [data-state="warning"]', { timeout: 5000 });
      const due = t + 4000;
      await page.waitForSelector('[data-test="alert-table"] [data-state="overdue"]', { timeout: 10000 });
      const late = Date.now() - due;
      check(late <= 2500, `the transition showed ${late} ms after due`);
      await page.screenshot({ path: join(ART, "alerts-live-1366.png") });
    });

    await step("a leader sees no forms and no administration", async () => {
      const leader = await session("leader");
      const navs = await leader.page.$$eval("[data-nav]", (els) => els.map((e) => e.dataset.nav));
      check(!navs.includes("record") && !navs.includes("admin") && navs.includes("alerts"), `leader nav: ${navs}`);
      await leader.page.goto(`${server.base}/record`);
      await leader.page.waitForSelector('[data-test="denied"]');
      check(!(await leader.page.$('[data-test="record"]')), "the form page is not shown");
      await leader.context.close();
    });

    await step("an administrator sees administration but no case pages", async () => {
      const admin = await session("admin");
      const navs = await admin.page.$$eval("[data-nav]", (els) => els.map((e) => e.dataset.nav));
      check(navs.includes("admin") && !navs.includes("alerts") && !navs.includes("cases"), `admin nav: ${navs}`);
      await admin.page.waitForSelector('[data-test="unit-table"] .el-table__row');
      await admin.page.screenshot({ path: join(ART, "admin-1366.png"), fullPage: true });
      await admin.context.close();
    });

    await step("the big screen fits 1920×1080 and English is switchable", async () => {
      const big = await session("leader", { width: 1920, height: 1080 });
      await big.page.goto(`${server.base}/bigscreen`);
      await big.page.waitForSelector('[data-test="unit-chart"] canvas');
      await big.page.waitForTimeout(800);
      await big.page.screenshot({ path: join(ART, "bigscreen-1920.png") });
      await big.page.goto(`${server.base}/alerts`);
      await big.page.click('[data-test="lang"]');
      await big.page.waitForFunction(() => document.body.textContent.includes("Warning centre"));
      await big.page.screenshot({ path: join(ART, "alerts-en-1920.png") });
      await big.context.close();
    });

    await step("no console errors", async () => {
      check(problems.length === 0, problems.join("\n"));
    });
  } finally {
    await browser.close();
    server.stop();
  }
  console.log(results.join("\n"));
  console.log(`screenshots: ${ART}`);
  if (results.some((r) => r.startsWith("FAIL"))) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
