// Channels (docs/plans.md "Channels"): the channels this user may read with their unread
// badges, one channel's messages with receipt ticks and highlighted @mentions, and a post box.
// The console is one client of the channels as TAK clients are another: it pages the messages
// after its delivery cursor, acknowledges them delivered, and marks a channel read while it is
// open — so a message posted while this console was closed is delivered when it comes back,
// once. Everything from the server is set as text.
import { h, clear, throttle } from "./dom";
import { t, fmtTime } from "./i18n";
import { api, write, can, type WhoAmI } from "./session";

export type ChannelInfo = {
  id: number; kind: string; name: string; incident?: number; plan?: number; sector?: string; agencies?: string[];
  agency: string; messages: number; last: number; delivered: number; read: number; unread: number;
};
type Mention = { kind: string; name: string };
type Message = { id: number; author: string; agency: string; time: string; text: string; classification: string; mentions: Mention[] };
type Receipts = { delivered: { user: string }[]; read: { user: string }[]; pending: string[] };

let who: WhoAmI | null = null;
let channels: ChannelInfo[] = [];
let open: ChannelInfo | null = null;
let messages: Message[] = [];
const receipts = new Map<number, Receipts>();
let toast: (msg: string, bad?: boolean) => void = () => {};

export function mountChannels(root: HTMLElement, signedIn: WhoAmI | null, notify: (msg: string, bad?: boolean) => void): void {
  who = signedIn;
  toast = notify;
  if (!can(who, "channel.read")) return;
  root.append(
    h("h3", { text: t("Channels") }),
    h("ul", { id: "channels", class: "list" }),
    h("div", { id: "channel-view", hidden: true }));
}

function title(c: ChannelInfo): string {
  if (c.kind === "incident") return `${t("Incident")} ${c.incident}`;
  if (c.kind === "operation") return `${t("Operation")} ${c.plan}`;
  if (c.kind === "sector") return `${t("Operation")} ${c.plan} · ${t("Sector")} ${c.sector}`;
  return (c.agencies ?? []).join(" ↔ ");
}

export async function loadChannels(): Promise<void> {
  if (!can(who, "channel.read")) return;
  try { channels = (await api<{ items: ChannelInfo[] }>("GET", "/api/v1/channels")).items; } catch { return; }
  for (const c of channels) if (c.last > c.delivered) void deliver(c);
  renderChannels();
  if (open) {
    open = channels.find((c) => c.id === open?.id) ?? open;
    await loadMessages();
  }
}

// Pages the messages past the delivery cursor and acknowledges them: delivered, never twice.
async function deliver(c: ChannelInfo): Promise<void> {
  let after = c.delivered;
  for (;;) {
    const page = await api<{ items: Message[]; more: boolean }>("GET", `/api/v1/channels/${c.id}/messages?after=${after}&limit=500`).catch(() => null);
    if (!page || page.items.length === 0) break;
    after = page.items[page.items.length - 1].id;
    if (!page.more) break;
  }
  if (after > c.delivered) {
    await write("POST", `/api/v1/channels/${c.id}/delivered`, { up_to: after }).catch(() => undefined);
    c.delivered = after;
  }
}

export function renderChannels(): void {
  const ul = document.getElementById("channels");
  if (!ul) return;
  clear(ul);
  for (const c of channels) {
    const badge = c.unread > 0 ? h("span", { class: "badge unread", "aria-label": t("unread"), text: String(c.unread) }) : null;
    ul.append(h("li", { class: open?.id === c.id ? "selected" : "", tabindex: 0, "data-channel": c.id, onclick: () => void show(c) },
      h("span", { text: title(c) }), " ", badge));
  }
}

async function show(c: ChannelInfo): Promise<void> {
  open = c;
  renderChannels();
  await loadMessages();
}

async function loadMessages(): Promise<void> {
  const c = open;
  const view = document.getElementById("channel-view");
  if (!c || !view) return;
  const page = await api<{ items: Message[] }>("GET", `/api/v1/channels/${c.id}/messages?after=${Math.max(0, c.last - 200)}&limit=200`).catch(() => null);
  messages = page?.items ?? [];
  await Promise.all(messages.filter((m) => m.author === who?.user).map(async (m) => {
    const r = await api<Receipts>("GET", `/api/v1/messages/${m.id}/receipts`).catch(() => null);
    if (r) receipts.set(m.id, r);
  }));
  renderMessages(view, c);
  const last = messages.length ? messages[messages.length - 1].id : 0;
  if (last > c.read) {
    await write("POST", `/api/v1/channels/${c.id}/read`, { up_to: last }).catch(() => undefined);
    c.read = c.delivered = last;
    c.unread = 0;
    renderChannels();
  }
}

// The text with its resolved @mentions highlighted (as text nodes and <mark>, never markup).
function withMentions(m: Message): Node[] {
  const names = new Set((m.mentions ?? []).map((x) => x.name));
  const out: Node[] = [];
  for (const part of m.text.split(/(@[A-Za-z0-9_.-]+)/)) {
    const name = part.startsWith("@") ? part.slice(1).replace(/[.-]+$/, "") : "";
    out.push(name && names.has(name) ? h("mark", { class: "mention", text: part }) : document.createTextNode(part));
  }
  return out;
}

// ✓ delivered to someone else, ✓✓ read by someone else (the author's own cursor does not count).
function ticks(m: Message): HTMLElement | null {
  const r = receipts.get(m.id);
  if (!r) return null;
  const read = r.read.filter((x) => x.user !== m.author).length;
  const delivered = r.delivered.filter((x) => x.user !== m.author).length;
  const mark = read ? "✓✓" : delivered ? "✓" : "·";
  return h("span", { class: read ? "ticks read" : "ticks", title: `${t("delivered")} ${delivered} · ${t("read")} ${read}${r.pending.length ? " · " + t("waiting for") + " " + r.pending.join(", ") : ""}`, text: mark });
}

function renderMessages(view: HTMLElement, c: ChannelInfo): void {
  view.hidden = false;
  clear(view);
  const list = h("ol", { class: "messages", "aria-live": "polite" });
  for (const m of messages)
    list.append(h("li", { "data-message": m.id },
      h("small", { class: "muted", text: `${fmtTime(m.time)} ${m.author} (${m.agency}) ` }),
      h("span", { class: "text" }, ...withMentions(m)), " ", ticks(m)));
  view.append(h("h4", { text: title(c) }), list);
  if (!can(who, "channel.post")) return;
  const text = h("textarea", { id: "channel-text", rows: 2, maxlength: 4000, placeholder: t("Message (@ to mention)") });
  const send = h("button", { type: "submit", text: t("Send") });
  view.append(h("form", {
    class: "post", onsubmit: (e: Event) => {
      e.preventDefault();
      const body = text.value.trim();
      if (!body) return;
      send.disabled = true;
      write("POST", `/api/v1/channels/${c.id}/messages`, { text: body })
        .then(() => { text.value = ""; return loadChannels(); })
        .catch((err) => toast(String(err.message ?? err), true))
        .finally(() => { send.disabled = false; });
    },
  }, text, send));
}

// Live: a message, a receipt or a new channel on the stream refreshes the list (and the open
// channel); the stream's filter already left out what this user may not see.
export function onChannelEvent(type: string): boolean {
  if (type !== "channel_message_posted" && type !== "channel_opened" && type !== "messages_delivered" && type !== "messages_read") return false;
  reload();
  return true;
}
const reload = throttle(() => void loadChannels(), 500);
