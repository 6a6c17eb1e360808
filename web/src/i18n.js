import { createI18n } from "vue-i18n";
import { formMessages } from "./forms.js";

// Every label and message of the UI. Simplified Chinese first; English switchable.
export const messages = {
  "zh-CN": {
    app: { title: "Casewatch 执法监督平台", short: "执法监督平台", logout: "退出", language: "English", live: "实时", offline: "连接中断" },
    nav: { dashboard: "首页", alerts: "预警中心", cases: "案件", record: "录入", rules: "规则", admin: "管理", bigscreen: "大屏" },
    login: { title: "登录", user: "警号", password: "密码", submit: "登录", required: "请输入警号和密码", welcome: "执法全流程监督：时限预警、超期督办、质量考评" },
    common: {
      query: "查询", reset: "重置", all: "全部", none: "无", save: "保存", add: "新增", cancel: "取消", loading: "加载中…",
      total: "共 {n} 条", unit: "单位", officer: "民警", case: "案件", subject: "对象", rule: "规则", state: "状态",
      due: "期满时间", started: "开始时间", stopped: "停止时间", remaining: "剩余/超期", basis: "依据", explain: "说明",
      kind: "类型", action: "操作", view: "查看", from: "从", to: "至", yes: "是", no: "否", back: "返回", error: "出错了",
      forbidden: "当前角色无权访问此页面", noData: "暂无数据", submit: "提交", success: "已保存",
    },
    state: { running: "进行中", warning: "即将到期", overdue: "已超期", met: "已按期完成", late: "超期完成", violated: "违规", passed: "合规" },
    kind: { criminal: "刑事", administrative: "行政", clock: "时限", check: "必经环节" },
    stage: { reported: "已接报", accepted: "已受案", filed: "已立案", not_filed: "不予立案", decided: "已决定", transferred: "已移送起诉", closed: "已结案" },
    role: { officer: "办案民警", legal_officer: "法制员", legal_dept: "法制部门", leader: "领导", admin: "管理员", ingest: "数据接入" },
    personRole: { suspect: "嫌疑人", victim: "被害人", witness: "证人", complainant: "报案人/控告人" },
    measure: { summons: "传唤", compelled_appearance: "拘传", questioning: "询问查证", criminal_detention: "刑事拘留", arrest: "逮捕", bail: "取保候审", surveillance: "监视居住", designated_surveillance: "指定居所监视居住", administrative_detention: "行政拘留" },
    property: { seized: "已扣押", stored: "已入库", checked_out: "已出库", returned: "已发还", disposed: "已处置", transferred: "已随案移送" },
    dashboard: {
      title: "驾驶舱", overdue: "超期", warning: "预警", violated: "违规", coverage: "监督覆盖率", byUnit: "各单位超期与预警",
      trend: "近30日趋势", topRules: "触发最多的规则", mine: "我的待办", drill: "点击柱形下钻", top: "全部",
      bigscreen: "大屏模式", exitBig: "退出大屏", steps: "受监督环节 {covered} / {steps}", none: "当前没有超期或预警事项",
    },
    alerts: {
      title: "预警中心", filters: "筛选", dueRange: "期满区间", officerPh: "民警警号", casePh: "案件编号", goCase: "查看案件",
      history: "状态变化", cause: { event: "事件", timer: "定时", reevaluate: "重新评估", replay: "重放" },
    },
    cases: {
      title: "案件", search: "案件编号或案由", cause: "案由", stage: "阶段", lastAt: "最近活动", events: "事件数",
      ledger: "案件台账", persons: "涉案人员", propertyTitle: "涉案财物", area: "办案区", recordings: "执法记录", documents: "法律文书",
      timeline: "时间线", clocks: "时限", checks: "必经环节", name: "姓名", personRole: "身份", measure: "当前强制措施", since: "自",
      inCustody: "在押", minor: "未成年", location: "存放位置", entered: "进入", exited: "离开", stillIn: "仍在区内",
      safety: "安检", info: "信息采集", recording: "记录编号", uploaded: "已上传", notUploaded: "未上传", docType: "文书", served: "已送达",
      retracted: "已撤回", idNumber: "身份证号", now: "现在", dueMark: "期满", unmask: "查看完整信息", unmaskReason: "查看理由", notFound: "案件不存在或无权查看",
    },
    record: {
      title: "录入事件", type: "事件类型", caseId: "案件编号", subject: "人员/财物编号", at: "发生时间", unit: "单位", officer: "民警警号",
      submitted: "已提交：{id}", invalid: "请根据提示修正", group: { case: "案件", person: "人员与强制措施", property: "涉案财物", area: "执法办案区", record: "执法记录与结案" },
      required: "必填",
    },
    rules: {
      title: "规则", pack: "规则包", limit: "期限", calendar: "计算方式", warning: "预警", inForce: "施行", guideline: "指引", status: "核验状态",
      calendarMode: { ordinary: "普通期间（节假日顺延）", custody: "羁押期间（不顺延）", fixed: "固定时刻" },
      test: "规则测试", runTest: "运行测试", passed: "通过", failed: "未通过", dryRun: "试运行（变更预演）", file: "文件路径", content: "文件内容",
      addFile: "添加文件", run: "试运行", appear: "新增", disappear: "消失", change: "状态变化", dryRunHint: "在现有案件上预演规则变更的影响，不写入任何数据。",
    },
    admin: {
      title: "管理", units: "单位", users: "用户", tokens: "接口令牌", calendar: "节假日", audit: "审计日志",
      id: "编号", name: "名称", parent: "上级单位", unitKind: "类型", path: "路径", userId: "警号", roles: "角色", password: "初始密码",
      disabled: "停用", locked: "锁定至", tokenName: "用途", tokenUnits: "授权单位", credential: "令牌（只显示一次，请妥善保存）", revoke: "撤销", revoked: "已撤销",
      lastUsed: "最近使用", year: "年份", restDays: "放假日期", makeupDays: "调休上班日期", addYear: "添加年份", datesPh: "每行一个日期，如 2027-01-01",
      actor: "操作人", auditAction: "操作", outcome: "结果", target: "对象", at: "时间", source: "来源", export: "导出 CSV",
      unitKinds: { bureau: "市局", branch: "分局", station: "派出所", police_type: "警种" },
      outcomes: { success: "成功", denied: "拒绝", failure: "失败" },
    },
  },
  en: {
    app: { title: "Casewatch law-enforcement supervision", short: "Casewatch", logout: "Sign out", language: "中文", live: "Live", offline: "Disconnected" },
    nav: { dashboard: "Home", alerts: "Warnings", cases: "Cases", record: "Record", rules: "Rules", admin: "Admin", bigscreen: "Big screen" },
    login: { title: "Sign in", user: "Badge no.", password: "Password", submit: "Sign in", required: "Enter badge number and password", welcome: "Supervision of every case: time limits, overdue items, quality" },
    common: {
      query: "Search", reset: "Reset", all: "All", none: "None", save: "Save", add: "Add", cancel: "Cancel", loading: "Loading…",
      total: "{n} in total", unit: "Unit", officer: "Officer", case: "Case", subject: "Subject", rule: "Rule", state: "State",
      due: "Due", started: "Started", stopped: "Stopped", remaining: "Remaining", basis: "Basis", explain: "Explanation",
      kind: "Kind", action: "Action", view: "View", from: "From", to: "To", yes: "Yes", no: "No", back: "Back", error: "Error",
      forbidden: "Your role may not use this page", noData: "No data", submit: "Submit", success: "Saved",
    },
    state: { running: "Running", warning: "Warning", overdue: "Overdue", met: "Met", late: "Late", violated: "Violated", passed: "Passed" },
    kind: { criminal: "Criminal", administrative: "Administrative", clock: "Time limit", check: "Mandatory step" },
    stage: { reported: "Reported", accepted: "Accepted", filed: "Filed", not_filed: "Not filed", decided: "Decided", transferred: "Transferred", closed: "Closed" },
    role: { officer: "Case officer", legal_officer: "Legal officer", legal_dept: "Legal department", leader: "Leader", admin: "Administrator", ingest: "Ingest" },
    personRole: { suspect: "Suspect", victim: "Victim", witness: "Witness", complainant: "Complainant" },
    measure: { summons: "Summons", compelled_appearance: "Compelled appearance", questioning: "Questioning", criminal_detention: "Criminal detention", arrest: "Arrest", bail: "Bail", surveillance: "Residential surveillance", designated_surveillance: "Designated surveillance", administrative_detention: "Administrative detention" },
    property: { seized: "Seized", stored: "Stored", checked_out: "Checked out", returned: "Returned", disposed: "Disposed", transferred: "Transferred" },
    dashboard: {
      title: "Dashboard", overdue: "Overdue", warning: "Warning", violated: "Violated", coverage: "Coverage", byUnit: "Overdue and warnings by unit",
      trend: "Last 30 days", topRules: "Rules that fire most", mine: "My items", drill: "Click a bar to drill down", top: "All",
      bigscreen: "Big screen", exitBig: "Exit big screen", steps: "Steps watched {covered} / {steps}", none: "Nothing overdue or due soon",
    },
    alerts: {
      title: "Warning centre", filters: "Filters", dueRange: "Due between", officerPh: "Officer badge no.", casePh: "Case id", goCase: "Open case",
      history: "History", cause: { event: "Event", timer: "Timer", reevaluate: "Re-evaluation", replay: "Replay" },
    },
    cases: {
      title: "Cases", search: "Case id or cause", cause: "Cause", stage: "Stage", lastAt: "Last activity", events: "Events",
      ledger: "Case ledger", persons: "Persons", propertyTitle: "Property", area: "Handling area", recordings: "Recordings", documents: "Documents",
      timeline: "Timeline", clocks: "Time limits", checks: "Mandatory steps", name: "Name", personRole: "Role", measure: "Current measure", since: "since",
      inCustody: "In custody", minor: "Minor", location: "Location", entered: "Entered", exited: "Left", stillIn: "Still inside",
      safety: "Safety check", info: "Data collection", recording: "Recording", uploaded: "Uploaded", notUploaded: "Not uploaded", docType: "Document", served: "Served",
      retracted: "Retracted", idNumber: "ID number", now: "Now", dueMark: "Due", unmask: "Show full data", unmaskReason: "Reason", notFound: "No such case, or not yours to see",
    },
    record: {
      title: "Record an event", type: "Event type", caseId: "Case id", subject: "Person/property id", at: "When", unit: "Unit", officer: "Officer badge no.",
      submitted: "Submitted: {id}", invalid: "Please correct the marked fields", group: { case: "Case", person: "Persons and measures", property: "Property", area: "Handling area", record: "Recordings and closing" },
      required: "Required",
    },
    rules: {
      title: "Rules", pack: "Rule pack", limit: "Limit", calendar: "Computation", warning: "Warning", inForce: "In force", guideline: "Guideline", status: "Verification",
      calendarMode: { ordinary: "Ordinary (holidays extend)", custody: "Custody (no extension)", fixed: "Fixed instant" },
      test: "Rule tests", runTest: "Run tests", passed: "Passed", failed: "Failed", dryRun: "Dry run of a change", file: "File path", content: "File content",
      addFile: "Add file", run: "Dry run", appear: "Appear", disappear: "Disappear", change: "Change state", dryRunHint: "Preview a rule change on the stored cases; nothing is written.",
    },
    admin: {
      title: "Administration", units: "Units", users: "Users", tokens: "API tokens", calendar: "Holidays", audit: "Audit log",
      id: "Id", name: "Name", parent: "Parent", unitKind: "Kind", path: "Path", userId: "Badge no.", roles: "Roles", password: "Initial password",
      disabled: "Disabled", locked: "Locked until", tokenName: "Purpose", tokenUnits: "Units", credential: "Token (shown once: keep it safe)", revoke: "Revoke", revoked: "Revoked",
      lastUsed: "Last used", year: "Year", restDays: "Rest days", makeupDays: "Make-up workdays", addYear: "Add year", datesPh: "One date per line, e.g. 2027-01-01",
      actor: "Actor", auditAction: "Action", outcome: "Outcome", target: "Target", at: "When", source: "From", export: "Export CSV",
      unitKinds: { bureau: "City bureau", branch: "Branch", station: "Station", police_type: "Police type" },
      outcomes: { success: "Success", denied: "Denied", failure: "Failure" },
    },
  },
};

for (const loc of Object.keys(messages)) Object.assign(messages[loc], formMessages[loc]);

export function initialLocale() {
  try {
    const saved = localStorage.getItem("cw-locale");
    if (saved === "en" || saved === "zh-CN") return saved;
  } catch {
    // storage may be unavailable
  }
  return "zh-CN";
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: "zh-CN",
  messages,
});
