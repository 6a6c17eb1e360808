// The event forms for units without an upstream system: one entry per event type, with the data
// fields of the interchange format (spec/events.md). A submitted form is one event, posted to
// POST /api/v1/events like any other; the server's validation is the authority and its errors
// are shown beside the fields.

export const FORMS = [
  { type: "case.accepted", group: "case", subject: "none", fields: [
    { name: "kind", kind: "select", options: ["criminal", "administrative"], required: true },
    { name: "cause", kind: "text" }, { name: "receipt", kind: "text" }, { name: "serious", kind: "bool" }] },
  { type: "case.filed", group: "case", subject: "none", fields: [{ name: "serious", kind: "bool" }] },
  { type: "case.extended", group: "case", subject: "none", fields: [{ name: "days", kind: "int" }] },
  { type: "case.decided", group: "case", subject: "none", fields: [
    { name: "penalty", kind: "text", required: true }, { name: "amount", kind: "number" }] },
  { type: "person.registered", group: "person", subject: "required", fields: [
    { name: "role", kind: "select", options: ["suspect", "victim", "witness", "complainant"], required: true },
    { name: "name", kind: "text" }, { name: "birth_date", kind: "date" }, { name: "id_number", kind: "text" }] },
  { type: "summons.started", group: "person", subject: "required", fields: [
    { name: "mode", kind: "select", options: ["summons", "compelled"], required: true }, { name: "serious", kind: "bool" }] },
  { type: "summons.ended", group: "person", subject: "required", fields: [] },
  { type: "detention.started", group: "person", subject: "required", fields: [] },
  { type: "custody.admitted", group: "person", subject: "required", fields: [] },
  { type: "family.notified", group: "person", subject: "required", fields: [
    { name: "measure", kind: "select", options: ["detention", "arrest", "residential_surveillance", "administrative_detention", "summons"], required: true }] },
  { type: "arrest.requested", group: "person", subject: "required", fields: [] },
  { type: "arrest.approved", group: "person", subject: "required", fields: [] },
  { type: "arrest.rejected", group: "person", subject: "required", fields: [] },
  { type: "arrest.executed", group: "person", subject: "required", fields: [] },
  { type: "bail.started", group: "person", subject: "required", fields: [] },
  { type: "bail.ended", group: "person", subject: "required", fields: [] },
  { type: "released", group: "person", subject: "required", fields: [] },
  { type: "property.seized", group: "property", subject: "required", fields: [
    { name: "kind", kind: "select", options: ["seize", "seal", "obtain"], required: true },
    { name: "category", kind: "select", options: ["cash", "vehicle", "phone", "drug", "weapon", "document", "other"] },
    { name: "description", kind: "text" }, { name: "quantity", kind: "number" }, { name: "list", kind: "bool" }, { name: "witness", kind: "text" }] },
  { type: "property.stored", group: "property", subject: "required", fields: [{ name: "location", kind: "text" }] },
  { type: "property.checked_out", group: "property", subject: "required", fields: [
    { name: "purpose", kind: "text" }, { name: "due_back", kind: "instant", required: true }] },
  { type: "property.checked_in", group: "property", subject: "required", fields: [{ name: "purpose", kind: "text" }] },
  { type: "property.returned", group: "property", subject: "required", fields: [] },
  { type: "area.entered", group: "area", subject: "required", fields: [{ name: "area", kind: "text" }] },
  { type: "area.safety_checked", group: "area", subject: "required", fields: [] },
  { type: "area.info_collected", group: "area", subject: "required", fields: [] },
  { type: "area.health_checked", group: "area", subject: "required", fields: [] },
  { type: "area.exited", group: "area", subject: "required", fields: [
    { name: "to", kind: "select", options: ["custody", "released", "transferred"] }] },
  { type: "bodycam.uploaded", group: "record", subject: "optional", fields: [{ name: "recording", kind: "text", required: true }] },
  { type: "case.closed", group: "record", subject: "none", fields: [{ name: "reason", kind: "text" }] },
];

export const formMessages = {
  "zh-CN": {
    forms: {
      types: {
        "case.accepted": "受案", "case.filed": "立案", "case.extended": "延长办案期限", "case.decided": "行政处罚决定",
        "person.registered": "登记涉案人员", "summons.started": "传唤到案", "summons.ended": "传唤结束", "detention.started": "刑事拘留",
        "custody.admitted": "送看守所羁押", "family.notified": "通知家属", "arrest.requested": "提请批准逮捕", "arrest.approved": "批准逮捕",
        "arrest.rejected": "不批准逮捕", "arrest.executed": "执行逮捕", "bail.started": "取保候审", "bail.ended": "解除取保候审", released: "释放",
        "property.seized": "扣押财物", "property.stored": "财物入库", "property.checked_out": "财物出库", "property.checked_in": "财物归还入库",
        "property.returned": "财物发还", "area.entered": "进入办案区", "area.safety_checked": "人身安全检查", "area.info_collected": "信息采集",
        "area.health_checked": "体检", "area.exited": "离开办案区", "bodycam.uploaded": "执法记录上传", "case.closed": "结案",
      },
      fields: {
        kind: "类别", cause: "案由", receipt: "受案回执编号", serious: "重大复杂", days: "天数", penalty: "处罚种类", amount: "金额（元）",
        role: "身份", name: "姓名", birth_date: "出生日期", id_number: "身份证号", mode: "方式", measure: "强制措施",
        category: "财物类别", description: "名称及特征", quantity: "数量", list: "已开具清单", witness: "见证人",
        location: "存放位置", purpose: "用途", due_back: "应归还时间", area: "办案区", to: "去向", recording: "记录编号", reason: "结案原因",
      },
      options: {
        criminal: "刑事", administrative: "行政", suspect: "嫌疑人", victim: "被害人", witness: "证人", complainant: "报案人/控告人",
        summons: "传唤", compelled: "拘传", detention: "刑事拘留", arrest: "逮捕", residential_surveillance: "监视居住",
        administrative_detention: "行政拘留", seize: "扣押", seal: "查封", obtain: "调取", cash: "现金", vehicle: "车辆", phone: "手机",
        drug: "毒品", weapon: "管制器具", document: "文件资料", other: "其他", custody: "送押", released: "释放", transferred: "移交",
      },
    },
  },
  en: {
    forms: {
      types: {
        "case.accepted": "Accept a case", "case.filed": "File the case", "case.extended": "Extend handling period", "case.decided": "Administrative decision",
        "person.registered": "Register a person", "summons.started": "Summons: arrival", "summons.ended": "Summons: end", "detention.started": "Criminal detention",
        "custody.admitted": "Admitted to detention house", "family.notified": "Family notified", "arrest.requested": "Arrest requested", "arrest.approved": "Arrest approved",
        "arrest.rejected": "Arrest rejected", "arrest.executed": "Arrest executed", "bail.started": "Bail", "bail.ended": "Bail ended", released: "Released",
        "property.seized": "Property seized", "property.stored": "Property stored", "property.checked_out": "Property checked out", "property.checked_in": "Property checked in",
        "property.returned": "Property returned", "area.entered": "Entered handling area", "area.safety_checked": "Safety check", "area.info_collected": "Data collected",
        "area.health_checked": "Health check", "area.exited": "Left handling area", "bodycam.uploaded": "Body-camera upload", "case.closed": "Close the case",
      },
      fields: {
        kind: "Kind", cause: "Cause", receipt: "Receipt no.", serious: "Serious/complex", days: "Days", penalty: "Penalty", amount: "Amount (CNY)",
        role: "Role", name: "Name", birth_date: "Birth date", id_number: "ID number", mode: "Mode", measure: "Measure",
        category: "Category", description: "Description", quantity: "Quantity", list: "List issued", witness: "Witness",
        location: "Location", purpose: "Purpose", due_back: "Due back", area: "Area", to: "Destination", recording: "Recording id", reason: "Reason",
      },
      options: {
        criminal: "Criminal", administrative: "Administrative", suspect: "Suspect", victim: "Victim", witness: "Witness", complainant: "Complainant",
        summons: "Summons", compelled: "Compelled", detention: "Criminal detention", arrest: "Arrest", residential_surveillance: "Residential surveillance",
        administrative_detention: "Administrative detention", seize: "Seize", seal: "Seal", obtain: "Obtain", cash: "Cash", vehicle: "Vehicle", phone: "Phone",
        drug: "Drugs", weapon: "Weapon", document: "Documents", other: "Other", custody: "Custody", released: "Released", transferred: "Transferred",
      },
    },
  },
};

/// The event a filled form stands for, or the client-side problems by field (required fields).
export function buildEvent(form, values, common) {
  const problems = {};
  for (const k of ["case", "at"]) if (!common[k]) problems[k] = "required";
  if (form.subject === "required" && !common.subject) problems.subject = "required";
  const data = {};
  for (const f of form.fields) {
    const v = values[f.name];
    const empty = v === undefined || v === null || v === "";
    if (empty) {
      if (f.required) problems[f.name] = "required";
      continue;
    }
    if (f.kind === "int") data[f.name] = Number.parseInt(v, 10);
    else if (f.kind === "number") data[f.name] = Number(v);
    else data[f.name] = v;
  }
  if (Object.keys(problems).length) return { problems };
  const event = { id: common.id, type: form.type, case: common.case, at: common.at };
  if (form.subject !== "none" && common.subject) event.subject = common.subject;
  if (common.unit) event.unit = common.unit;
  if (common.officer) event.officer = common.officer;
  if (form.fields.length) event.data = data;
  return { event };
}
