"use strict";
const STAGES = {reported: "已接报", accepted: "已受案", filed: "已立案", not_filed: "不予立案", decided: "已决定", transferred: "已移送起诉", closed: "已结案"};
const KINDS = {criminal: "刑事", administrative: "行政"};
const ROLES = {suspect: "嫌疑人", victim: "被害人", witness: "证人", complainant: "报案人/控告人"};
const MEASURES = {summons: "传唤", compelled_appearance: "拘传", questioning: "询问查证", criminal_detention: "刑事拘留", arrest: "逮捕", bail: "取保候审", surveillance: "监视居住", designated_surveillance: "指定居所监视居住", administrative_detention: "行政拘留"};
const PROPERTY = {seized: "已扣押", stored: "已入库", checked_out: "已出库", returned: "已发还", disposed: "已处置", transferred: "已随案移送"};
let page = 1, total = 0;
const perPage = 20;
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
function zhTime(s) {
  if (!s) return "";
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(s);
  return m ? `${m[1]}年${Number(m[2])}月${Number(m[3])}日 ${m[4]}:${m[5]}` : s;
}
async function api(path, init) {
  const r = await fetch(path, {headers: {accept: "application/json", "content-type": "application/json"}, ...init});
  const body = await r.json();
  if (r.status === 401 && !path.startsWith("/api/v1/auth/")) showLogin();
  if (!r.ok) throw new Error(body?.error?.message || r.statusText);
  return body;
}
function showLogin() {
  $("login").hidden = false;
  document.querySelector("main").hidden = true;
  $("who").textContent = "";
}
function signedIn(me) {
  $("login").hidden = true;
  document.querySelector("main").hidden = false;
  $("who").innerHTML = `${esc(me.name)}（${esc(me.id)}） <button type="button" id="logout">退出</button> ·`;
  $("logout").addEventListener("click", async () => {
    await fetch("/api/v1/auth/logout", {method: "POST", headers: {"x-csrf-token": me.csrf_token}});
    showLogin();
  });
  loadCases();
}
$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData($("login"));
  try {
    signedIn(await api("/api/v1/auth/login", {method: "POST", body: JSON.stringify({user: f.get("user"), password: f.get("password")})}));
    $("loginerr").textContent = "";
  } catch (e) {
    $("loginerr").textContent = e.message;
  }
});
for (const [k, v] of Object.entries(STAGES)) $("filters").stage.add(new Option(v, k));
async function loadCases() {
  const f = new FormData($("filters"));
  const params = new URLSearchParams({page, per_page: perPage});
  for (const [k, v] of f) if (v) params.set(k, v);
  try {
    const data = await api(`/api/v1/cases?${params}`);
    total = data.total;
    $("cases").innerHTML = data.items.map((c) => `<tr class="row" tabindex="0" data-id="${esc(c.case_id)}">
      <td>${esc(c.case_id)}</td><td>${esc(KINDS[c.kind] || "—")}</td><td>${esc(c.cause || "—")}</td>
      <td><span class="tag">${esc(STAGES[c.stage] || "—")}</span></td><td>${esc(c.unit || "—")}</td><td>${esc(zhTime(c.last_at))}</td></tr>`).join("")
      || `<tr><td colspan="6" class="muted">没有符合条件的案件</td></tr>`;
    const pages = Math.max(1, Math.ceil(total / perPage));
    $("pageinfo").textContent = `第 ${page} / ${pages} 页，共 ${total} 件`;
    $("prev").disabled = page <= 1;
    $("next").disabled = page >= pages;
  } catch (e) {
    $("cases").innerHTML = `<tr><td colspan="6" class="err">${esc(e.message)}</td></tr>`;
  }
}
async function showCase(id) {
  const d = $("detail");
  try {
    const {ledger: l, timeline} = await api(`/api/v1/cases/${encodeURIComponent(id)}`);
    const persons = Object.entries(l.persons).map(([sid, p]) => `<tr><td>${esc(sid)}</td><td>${esc(p.name || "")}${p.minor ? ' <span class="tag">未成年</span>' : ""}</td><td>${esc(ROLES[p.role] || p.role || "")}</td>
      <td>${esc(MEASURES[p.measure] || "—")}${p.measure_since ? `<div class="muted">自 ${esc(zhTime(p.measure_since))}</div>` : ""}</td><td>${p.in_custody ? "在押" : ""}</td></tr>`).join("");
    const property = Object.entries(l.property).map(([sid, x]) => `<tr><td>${esc(sid)}</td><td>${esc(x.description || x.category || "")}</td><td>${esc(PROPERTY[x.state] || x.state)}</td><td>${esc(x.location || "")}</td></tr>`).join("");
    const stays = l.area_stays.map((s) => `<tr><td>${esc(s.subject)}</td><td>${esc(zhTime(s.entered_at))}</td><td>${esc(zhTime(s.exited_at) || "仍在区内")}</td><td>${s.safety_checked ? "✓" : "✗"} 安检 ${s.info_collected ? "✓" : "✗"} 采集</td></tr>`).join("");
    const events = timeline.map((e) => `<tr class="${e.retracted_by ? "retracted" : ""}"><td>${esc(zhTime(e.at))}</td><td>${esc(e.type_zh)}</td><td>${esc(e.subject || "")}</td><td>${esc(e.officer || "")}</td></tr>`).join("");
    d.innerHTML = `<h2>${esc(l.case_id)} · ${esc(l.cause || "")} <span class="tag">${esc(STAGES[l.stage] || "—")}</span></h2>
      <p class="muted">${esc(KINDS[l.kind] || "")} · 单位 ${esc(l.unit || "—")} · 民警 ${esc(l.officers.join("、"))} · ${l.n_events} 个事件${l.n_retracted ? `（撤回 ${l.n_retracted}）` : ""}</p>
      <h2>涉案人员</h2><table><thead><tr><th>编号</th><th>姓名</th><th>身份</th><th>当前强制措施</th><th></th></tr></thead><tbody>${persons || '<tr><td colspan="5" class="muted">无</td></tr>'}</tbody></table>
      <h2>涉案财物</h2><table><thead><tr><th>编号</th><th>名称</th><th>状态</th><th>存放位置</th></tr></thead><tbody>${property || '<tr><td colspan="4" class="muted">无</td></tr>'}</tbody></table>
      <h2>办案区</h2><table><thead><tr><th>人员</th><th>进入</th><th>离开</th><th>检查</th></tr></thead><tbody>${stays || '<tr><td colspan="4" class="muted">无</td></tr>'}</tbody></table>
      <h2>时间线</h2><table><thead><tr><th>时间</th><th>事件</th><th>对象</th><th>民警</th></tr></thead><tbody>${events}</tbody></table>`;
  } catch (e) {
    d.innerHTML = `<h2>案件详情</h2><p class="err">${esc(e.message)}</p>`;
  }
}
$("filters").addEventListener("submit", (ev) => { ev.preventDefault(); page = 1; loadCases(); });
$("prev").addEventListener("click", () => { page -= 1; loadCases(); });
$("next").addEventListener("click", () => { page += 1; loadCases(); });
$("cases").addEventListener("click", (ev) => { const tr = ev.target.closest("tr[data-id]"); if (tr) showCase(tr.dataset.id); });
$("cases").addEventListener("keydown", (ev) => { const tr = ev.target.closest("tr[data-id]"); if (tr && ev.key === "Enter") showCase(tr.dataset.id); });
api("/api/v1/health").then((h) => { $("health").textContent = `运行正常（${h.backend}，v${h.version}）`; }).catch((e) => { $("health").textContent = `异常：${e.message}`; });
api("/api/v1/auth/me").then(signedIn).catch(showLogin);
