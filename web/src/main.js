import { createApp } from "vue";
import { createPinia } from "pinia";
import ElementPlus from "element-plus";
import "element-plus/dist/index.css";
import App from "./App.vue";
import { i18n } from "./i18n.js";
import { makeRouter } from "./router.js";
import { onSessionLost } from "./api.js";
import { useSession } from "./session.js";
import "./style.css";

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
app.use(i18n);
const router = makeRouter();
app.use(router);
app.use(ElementPlus);
onSessionLost(() => {
  const s = useSession(pinia);
  if (s.me) {
    s.lost();
    router.push({ name: "login", query: { next: router.currentRoute.value.fullPath } });
  }
});
app.mount("#app");
