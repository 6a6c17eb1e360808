import { onBeforeUnmount, onMounted, ref } from "vue";

// A ticking "now" shared by every countdown on a page, and the server's notices that findings
// changed (server-sent events at /api/v1/alerts/stream), on which a page reloads its data.

export function useNow(intervalMs = 1000) {
  const now = ref(Date.now());
  let timer = null;
  onMounted(() => {
    timer = setInterval(() => {
      now.value = Date.now();
    }, intervalMs);
  });
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}

export function useLive(onChange) {
  const connected = ref(false);
  let source = null;
  let pending = null;
  onMounted(() => {
    if (typeof EventSource === "undefined") return;
    source = new EventSource("/api/v1/alerts/stream");
    source.onopen = () => {
      connected.value = true;
    };
    source.onerror = () => {
      connected.value = false;
    };
    source.onmessage = (ev) => {
      // Coalesce bursts: one reload per 200 ms at most.
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        let notice = null;
        try {
          notice = JSON.parse(ev.data);
        } catch {
          notice = null;
        }
        onChange(notice);
      }, 200);
    };
  });
  onBeforeUnmount(() => {
    if (source) source.close();
    clearTimeout(pending);
  });
  return connected;
}
