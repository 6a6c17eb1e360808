import { defineStore } from "pinia";
import { api, setCsrf } from "./api.js";

// Which pages each role may use. The server refuses anyway; this only hides what would be refused.
export const PAGES = {
  dashboard: ["officer", "legal_officer", "legal_dept", "leader"],
  bigscreen: ["legal_officer", "legal_dept", "leader"],
  alerts: ["officer", "legal_officer", "legal_dept", "leader"],
  cases: ["officer", "legal_officer", "legal_dept", "leader"],
  record: ["officer", "legal_officer"],
  rules: ["officer", "legal_officer", "legal_dept", "leader", "admin"],
  admin: ["admin", "legal_dept"],
};

export function allowed(page, roles) {
  const need = PAGES[page];
  return !need || (roles || []).some((r) => need.includes(r));
}

export const useSession = defineStore("session", {
  state: () => ({ me: null, checked: false }),
  getters: {
    roles: (s) => s.me?.roles || [],
    signedIn: (s) => Boolean(s.me),
  },
  actions: {
    can(page) {
      return allowed(page, this.roles);
    },
    has(role) {
      return this.roles.includes(role);
    },
    home() {
      for (const p of ["dashboard", "alerts", "admin", "rules"]) if (this.can(p)) return `/${p}`;
      return "/rules";
    },
    async load() {
      try {
        this.me = await api("/api/v1/auth/me");
        setCsrf(this.me.csrf_token);
      } catch {
        this.me = null;
      }
      this.checked = true;
    },
    async login(user, password) {
      this.me = await api("/api/v1/auth/login", { method: "POST", body: { user, password } });
      setCsrf(this.me.csrf_token);
      this.checked = true;
    },
    async logout() {
      try {
        await api("/api/v1/auth/logout", { method: "POST" });
      } finally {
        this.me = null;
        setCsrf("");
      }
    },
    lost() {
      this.me = null;
      setCsrf("");
    },
  },
});
