import { createRouter, createWebHistory } from "vue-router";
import { useSession } from "./session.js";

const routes = [
  // Where "/" leads depends on the roles, known only once the session is loaded (below).
  { path: "/", name: "root", component: { render: () => null } },
  { path: "/login", name: "login", component: () => import("./views/Login.vue"), meta: { public: true } },
  { path: "/dashboard", name: "dashboard", component: () => import("./views/Dashboard.vue"), meta: { page: "dashboard" } },
  { path: "/bigscreen", name: "bigscreen", component: () => import("./views/Dashboard.vue"), props: { big: true }, meta: { page: "bigscreen", bare: true } },
  { path: "/alerts", name: "alerts", component: () => import("./views/Alerts.vue"), meta: { page: "alerts" } },
  { path: "/cases", name: "cases", component: () => import("./views/Cases.vue"), meta: { page: "cases" } },
  { path: "/cases/:id", name: "case", component: () => import("./views/CaseDetail.vue"), props: true, meta: { page: "cases" } },
  { path: "/record", name: "record", component: () => import("./views/Record.vue"), meta: { page: "record" } },
  { path: "/rules", name: "rules", component: () => import("./views/Rules.vue"), meta: { page: "rules" } },
  { path: "/admin", name: "admin", component: () => import("./views/Admin.vue"), meta: { page: "admin" } },
  { path: "/:rest(.*)*", redirect: "/" },
];

export function makeRouter(history = createWebHistory()) {
  const router = createRouter({ history, routes });
  router.beforeEach(async (to) => {
    const s = useSession();
    if (!s.checked) await s.load();
    if (to.name === "root") return s.signedIn ? s.home() : { name: "login" };
    if (to.meta.public) return s.signedIn && to.name === "login" ? s.home() : true;
    if (!s.signedIn) return { name: "login", query: { next: to.fullPath } };
    if (to.meta.page && !s.can(to.meta.page)) return { path: s.home(), query: { denied: to.meta.page } };
    return true;
  });
  return router;
}
