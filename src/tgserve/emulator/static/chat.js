"use strict";
// The browser chat of tgserve's local Telegram. Every bot-supplied string goes through
// textContent or attribute setters; nothing is ever parsed as HTML.

const $ = (id) => document.getElementById(id);
const view = { state: null, botId: null, chatId: null, userId: null, messages: new Map(),
               unread: new Set(), loading: null };

async function api(path, body) {
  const init = body === undefined ? {} : body instanceof FormData
    ? { method: "POST", body }
    : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(`/_emulator/${path}`, init);
  const answer = await response.json();
  if (!answer.ok) toast(answer.error || "request failed");
  return answer;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.remove("show"), 2500);
}

function safeUrl(url) {
  try {
    const parsed = new URL(String(url));
    return ["http:", "https:", "tg:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
  } catch { return null; }
}

// Entities use UTF-16 offsets, the same units as JavaScript string indices.
function renderEntities(text, entities) {
  const out = document.createDocumentFragment();
  const cuts = new Set([0, text.length]);
  for (const e of entities) { cuts.add(e.offset); cuts.add(Math.min(e.offset + e.length, text.length)); }
  const points = [...cuts].filter((p) => p >= 0 && p <= text.length).sort((a, b) => a - b);
  for (let i = 0; i + 1 < points.length; i++) {
    const [start, end] = [points[i], points[i + 1]];
    let node = document.createTextNode(text.slice(start, end));
    const active = entities.filter((e) => e.offset <= start && e.offset + e.length >= end);
    for (const e of active.reverse()) node = wrap(e, node, text.slice(e.offset, e.offset + e.length));
    out.append(node);
  }
  return out;
}

function wrap(entity, inner, covered) {
  const tags = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code",
                 pre: "pre", blockquote: "blockquote", expandable_blockquote: "blockquote" };
  if (tags[entity.type]) return el(tags[entity.type], {}, inner);
  if (entity.type === "spoiler") return el("span", { class: "spoiler" }, inner);
  const href = entity.type === "text_link" ? safeUrl(entity.url)
    : entity.type === "url" ? safeUrl(/^[a-z]+:/i.test(covered) ? covered : `https://${covered}`)
    : null;
  if (href) return el("a", { href, target: "_blank", rel: "noopener noreferrer" }, inner);
  return inner;
}

function chatById(id) { return view.state.chats.find((c) => c.id === id); }
function botById(id) { return view.state.bots.find((b) => b.id === id); }
function plural(count, one) { return `${count} ${one}${count === 1 ? "" : "s"}`; }
function members(chatId) { return plural((view.state.members[chatId] || []).length, "member"); }
function userById(id) { return view.state.users.find((u) => u.id === id); }

async function loadState() {
  view.state = await api("state");
  const bots = $("bot");
  bots.replaceChildren(...view.state.bots.map((b) =>
    el("option", { value: b.id, text: `${b.first_name} (@${b.username})` })));
  if (!view.botId && view.state.bots.length) view.botId = view.state.bots[0].id;
  bots.value = view.botId;
  renderChatList();
  if (!view.chatId && view.state.users.length) await openChat(view.state.users[0].id);
  else renderSenders();
}

function renderChatList() {
  const buttons = view.state.chats.map((chat) => {
    const name = chat.type === "private" ? `${chat.first_name}` : chat.title;
    const kind = chat.type === "private" ? "private chat" : `group · ${members(chat.id)}`;
    const key = `${view.botId}:${chat.id}`;
    const classes = [chat.id === view.chatId ? "active" : "", view.unread.has(key) ? "unread" : ""];
    return el("button", { type: "button", class: classes.join(" "), "data-chat": chat.id,
                          onclick: () => openChat(chat.id) },
              name, el("span", { class: "kind", text: kind }));
  });
  $("chats").replaceChildren(...buttons);
}

function renderSenders() {
  const chat = chatById(view.chatId);
  const ids = !chat ? [] : chat.type === "private" ? [chat.id] : view.state.members[chat.id] || [];
  const users = ids.map(userById).filter(Boolean);
  $("user").replaceChildren(...users.map((u) => el("option", { value: u.id, text: u.first_name })));
  if (!ids.includes(view.userId)) view.userId = ids[0] ?? null;
  $("user").value = view.userId ?? "";
}

async function openChat(chatId) {
  view.chatId = chatId;
  view.unread.delete(`${view.botId}:${chatId}`);
  const chat = chatById(chatId);
  renderTitle(chat);
  renderChatList();
  renderSenders();
  // Live events that arrive while the history loads are held back and applied on top of it,
  // so a stale snapshot never hides a message that was just shown.
  const load = { events: [] };
  view.loading = load;
  let answer = null;
  try {
    answer = await api(`messages?bot_id=${view.botId}&chat_id=${chatId}`);
  } finally {
    if (view.loading === load) {  // else a newer load took over
      view.loading = null;
      const loaded = answer && answer.ok ? answer.messages : [];  // never another chat's
      view.messages = new Map(loaded.map((m) => [m.message.message_id, m]));
      $("history").replaceChildren(...[...view.messages.values()].filter((m) => !m.deleted).map(renderMessage));
      renderReplyKeyboard();
      scrollDown();
      load.events.forEach(apply);
    }
  }
}

// A private chat is titled with the bot's name, as Telegram shows it; a group with its own.
function renderTitle(chat) {
  const bot = botById(view.botId);
  const [name, kind] = !chat ? ["Pick a chat", ""]
    : chat.type === "private" ? [bot ? bot.first_name : "bot", `bot · chat with ${chat.first_name}`]
    : [chat.title, `group · ${members(chat.id)}`];
  $("chat-name").textContent = name;
  $("chat-kind").textContent = kind;
}

function renderMessage(record) {
  const m = record.message;
  const mine = !record.from_bot;
  const box = el("div", { class: mine ? "msg mine" : "msg", "data-id": m.message_id });
  const chat = chatById(record.chat_id);
  if (!mine || (chat && chat.type !== "private")) {
    box.append(el("div", { class: "who", text: m.from ? m.from.first_name : "" }));
  }
  if (m.reply_to_message) {
    const quoted = m.reply_to_message.text || m.reply_to_message.caption || "…";
    box.append(el("blockquote", { text: quoted.slice(0, 80) }));
  }
  if (m.photo) box.append(el("img", { src: `/_emulator/files/${encodeURIComponent(m.photo[m.photo.length - 1].file_id)}`, alt: "photo" }));
  if (m.document) box.append(el("a", { href: `/_emulator/files/${encodeURIComponent(m.document.file_id)}`,
                                       download: m.document.file_name || "file", text: `📄 ${m.document.file_name || "file"}` }));
  const text = m.text ?? m.caption;
  if (text) box.append(el("div", { class: "text" }, renderEntities(text, m.entities || m.caption_entities || [])));
  const rows = (record.markup && record.markup.inline_keyboard) || [];
  if (rows.length) { box.classList.add("with-keyboard"); box.append(renderKeyboard(rows, (button) => press(record, button))); }
  const time = new Date(m.date * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  box.append(el("div", { class: "meta", text: record.edits ? `edited ${time}` : time }));
  return box;
}

function renderKeyboard(rows, onPress) {
  return el("div", { class: "keyboard" }, ...rows.map((row) =>
    el("div", { class: "row" }, ...row.map((button) => {
      const label = typeof button === "string" ? button : String(button.text ?? "");
      return el("button", { type: "button", text: label, onclick: () => onPress(button, label) });
    }))));
}

function renderReplyKeyboard() {
  const fromBot = [...view.messages.values()].filter((r) => r.from_bot && r.markup &&
    ("keyboard" in r.markup || "remove_keyboard" in r.markup));
  const last = fromBot[fromBot.length - 1];
  const rows = last && last.markup.keyboard;
  $("reply-keyboard").replaceChildren(...(rows ? [renderKeyboard(rows, (_, label) => send(label))] : []));
}

async function press(record, button) {
  if (button.url) { const href = safeUrl(button.url); if (href) window.open(href, "_blank", "noopener"); return; }
  if (button.callback_data === undefined) { toast("this button type is not emulated"); return; }
  await api("press", { bot_id: view.botId, chat_id: record.chat_id, user_id: view.userId,
                       message_id: record.message.message_id, data: button.callback_data });
}

async function send(text) {
  if (!text || view.userId === null) return;
  await api("send", { bot_id: view.botId, chat_id: view.chatId, user_id: view.userId, text });
}

function scrollDown() { const h = $("history"); h.scrollTop = h.scrollHeight; }

function apply(event) {
  const key = `${event.bot_id}:${event.chat_id}`;
  if (!chatById(event.chat_id)) { loadState(); return; }
  if (event.bot_id !== view.botId || event.chat_id !== view.chatId) {
    if (event.kind === "message") { view.unread.add(key); renderChatList(); }
    return;
  }
  if (event.kind === "answer") { if (event.data.text) toast(event.data.text); return; }
  if (event.kind === "action") { showStatus("bot is typing…"); return; }
  if (view.loading) { view.loading.events.push(event); return; }
  const id = event.message.message_id;
  view.messages.set(id, event);
  const old = $("history").querySelector(`[data-id="${id}"]`);
  if (event.kind === "delete") { if (old) old.remove(); view.messages.delete(id); }
  else if (old) old.replaceWith(renderMessage(event));
  else { $("history").append(renderMessage(event)); scrollDown(); }
  if (event.kind === "message" && event.from_bot) showStatus("");
  renderReplyKeyboard();
}

function showStatus(text) {
  $("status").textContent = text;
  clearTimeout(showStatus.timer);
  if (text) showStatus.timer = setTimeout(() => { $("status").textContent = ""; }, 5000);
}

// The bot's own counts, as its tgserve runtime reports them at GET {path}.
async function showRuntime() {
  if (view.botId === null) return;
  try {
    const answer = await (await fetch(`/_emulator/runtime?bot_id=${view.botId}`)).json();
    const info = answer.runtime;
    if (!info) { $("runtime").textContent = answer.why || ""; return; }
    const c = info.counts || {};
    const parts = ["received", "handled", "duplicates", "failed"].map((k) => `${k} ${c[k] || 0}`);
    $("runtime").textContent = `${info.bot} bot, ${info.state}: ${parts.join(" · ")} · pending ${info.pending ?? 0}`;
  } catch { $("runtime").textContent = ""; }
}

function connect() {
  const source = new EventSource("/_emulator/events");
  source.onmessage = (message) => apply(JSON.parse(message.data));
  source.onopen = () => { if (view.state && view.chatId !== null) openChat(view.chatId); };
}

function wire() {
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("text");
    const text = input.value;
    input.value = "";
    await send(text);
  });
  $("photo").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file || view.userId === null) return;
    const form = new FormData();
    for (const [k, v] of Object.entries({ bot_id: view.botId, chat_id: view.chatId, user_id: view.userId })) form.append(k, v);
    form.append("file", file);
    await api("send_file", form);
    event.target.value = "";
  });
  $("user").addEventListener("change", (event) => { view.userId = Number(event.target.value); });
  $("bot").addEventListener("change", (event) => { view.botId = Number(event.target.value); openChat(view.chatId); });
  $("new-user").addEventListener("click", async () => {
    const name = prompt("New user's first name");
    if (!name) return;
    const answer = await api("users", { first_name: name });
    await loadState();
    if (answer.ok) await openChat(answer.user.id);
  });
  $("new-group").addEventListener("click", async () => {
    const title = prompt("Group title");
    if (!title) return;
    const answer = await api("groups", { title, member_ids: view.state.users.map((u) => u.id) });
    await loadState();
    if (answer.ok) await openChat(answer.chat.id);
  });
}

wire();
loadState().then(connect).then(showRuntime);
setInterval(showRuntime, 2000);
