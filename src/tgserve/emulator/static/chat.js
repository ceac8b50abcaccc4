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
  renderAttachments(box, record);
  const text = m.text ?? m.caption;
  if (text) box.append(el("div", { class: "text" }, renderEntities(text, m.entities || m.caption_entities || [])));
  const rows = (record.markup && record.markup.inline_keyboard) || [];
  if (rows.length) { box.classList.add("with-keyboard"); box.append(renderKeyboard(rows, (button) => press(record, button))); }
  const time = new Date(m.date * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const meta = el("div", { class: "meta", text: record.edits ? `edited ${time}` : time });
  if (mine && m.text !== undefined && !m.via_bot) meta.prepend(editControl(record));
  box.append(meta);
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
  if (button.pay) { await pay(record); return; }
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
  if (!event.message) {  // a membership change, an inline answer: nothing in the history
    if (event.kind === "member") loadState();
    return;
  }
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
    showInlineResults(null);
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

// What a person does beyond text: share a location, vote in a poll, pay an invoice, edit
// their own message, type `@bot query` and pick a result, add the bot to a group or remove it.

function stars(amount, currency) { return currency === "XTR" ? `⭐ ${amount}` : `${amount} ${currency}`; }
function where(record) { return { bot_id: view.botId, chat_id: record.chat_id, user_id: view.userId,
                                  message_id: record.message.message_id }; }

// The parts of a message that are not text: places, contacts, dice, polls, invoices.
function renderAttachments(box, record) {
  const m = record.message;
  if (m.via_bot) box.append(el("div", { class: "via", text: `via @${m.via_bot.username}` }));
  if (m.venue) box.append(el("div", { class: "place", text: `📍 ${m.venue.title} — ${m.venue.address}` }));
  else if (m.location) {
    const { latitude: lat, longitude: lon } = m.location;
    box.append(el("a", { class: "place", target: "_blank", rel: "noopener noreferrer",
                         href: `https://www.openstreetmap.org/?mlat=${Number(lat)}&mlon=${Number(lon)}`,
                         text: `📍 ${Number(lat).toFixed(5)}, ${Number(lon).toFixed(5)}` }));
  }
  if (m.contact) box.append(el("div", { class: "contact",
    text: `👤 ${[m.contact.first_name, m.contact.last_name].filter(Boolean).join(" ")} · ${m.contact.phone_number}` }));
  if (m.dice) box.append(el("div", { class: "dice", text: `${m.dice.emoji} ${m.dice.value}` }));
  if (m.poll) box.append(renderPoll(record, m.poll));
  if (m.invoice) box.append(renderInvoice(record, m.invoice));
  if (m.successful_payment) {
    const p = m.successful_payment;
    box.append(el("div", { class: "paid", text: `✅ Paid ${stars(p.total_amount, p.currency)}` }));
  }
}

function renderPoll(record, poll) {
  const total = poll.total_voter_count || 0;
  const chosen = new Set();
  const part = el("div", { class: "poll" }, el("div", { class: "question", text: poll.question }));
  const options = poll.options.map((option, index) => {
    const share = total ? Math.round((100 * option.voter_count) / total) : 0;
    const button = el("button", { type: "button", class: "option", "data-index": index,
      onclick: () => {
        if (!poll.allows_multiple_answers) { vote(record, [index]); return; }
        if (chosen.has(index)) chosen.delete(index); else chosen.add(index);
        button.classList.toggle("chosen", chosen.has(index));
      } },
      el("span", { class: "label", text: option.text }),
      el("span", { class: "count", text: `${share}%` }));
    if (poll.is_closed) button.disabled = true;
    return button;
  });
  part.append(...options);
  if (poll.allows_multiple_answers && !poll.is_closed) {
    part.append(el("button", { type: "button", class: "submit", text: "Vote",
                               onclick: () => vote(record, [...chosen]) }));
  }
  const kind = poll.is_closed ? "final results" : poll.is_anonymous ? "anonymous poll" : "poll";
  part.append(el("div", { class: "votes", text: `${kind} · ${total} vote${total === 1 ? "" : "s"}` }));
  return part;
}

async function vote(record, optionIds) {
  if (view.userId === null) return;
  const answer = await api("vote", { ...where(record), option_ids: optionIds });
  if (answer.ok) toast(optionIds.length ? "Voted" : "Vote retracted");
}

function renderInvoice(record, invoice) {
  const rows = (record.markup && record.markup.inline_keyboard) || [];
  const own = rows.some((row) => row.some((button) => button.pay));
  const part = el("div", { class: "invoice" },
    el("div", { class: "title", text: invoice.title }),
    el("div", { class: "description", text: invoice.description }),
    el("div", { class: "price", text: stars(invoice.total_amount, invoice.currency) }));
  if (!own) {  // Telegram shows a Pay button unless the bot's keyboard carries its own
    part.append(el("button", { type: "button", class: "pay",
      text: `Pay ${stars(invoice.total_amount, invoice.currency)}`, onclick: () => pay(record) }));
  }
  return part;
}

async function pay(record) {
  if (view.userId === null) return;
  const answer = await api("pay", where(record));
  if (answer.ok) toast("Payment sent");
}

// Your own text messages can be edited, as in Telegram.
function editControl(record) {
  return el("button", { type: "button", class: "edit", title: "Edit this message", "aria-label": "Edit",
                        text: "✎", onclick: () => editMessage(record) });
}

async function editMessage(record) {
  const old = record.message.text;
  const text = prompt("Edit your message", old);
  if (text === null || !text.trim() || text === old) return;
  await api("edit", { ...where(record), user_id: record.message.from.id, text });
}

// `@botname query` in the composer asks the bot for inline results; a click sends one.
const inlineState = { timer: null, asked: 0 };

function inlineQueryOf(text) {
  const bot = view.state && view.state.bots.find((b) => b.id === view.botId);
  if (!bot || !bot.username) return null;
  const prefix = `@${bot.username}`;
  if (!text.toLowerCase().startsWith(prefix.toLowerCase())) return null;
  const rest = text.slice(prefix.length);
  return rest === "" || rest.startsWith(" ") ? rest.trim() : null;
}

function onComposerInput() {
  clearTimeout(inlineState.timer);
  const query = inlineQueryOf($("text").value);
  if (query === null) { showInlineResults(null); return; }
  inlineState.timer = setTimeout(() => askInline(query), 350);
}

async function askInline(query) {
  if (view.userId === null) return;
  const asked = ++inlineState.asked;
  const sent = await api("inline_query", { bot_id: view.botId, user_id: view.userId, query });
  if (!sent.ok) return;
  const answer = await api("inline_results", { inline_query_id: sent.inline_query_id, timeout: 5 });
  if (asked !== inlineState.asked || !answer.ok) return;  // a newer query took over
  showInlineResults({ id: sent.inline_query_id, results: answer.answer.results || [] });
}

function showInlineResults(found) {
  const list = $("inline-results");
  if (!found) { list.replaceChildren(); list.hidden = true; return; }
  list.hidden = false;
  if (!found.results.length) { list.replaceChildren(el("div", { class: "empty", text: "No results" })); return; }
  list.replaceChildren(...found.results.map((result) => el("button", {
    type: "button", class: "result", onclick: () => chooseInline(found.id, result.id) },
    el("span", { class: "title", text: String(result.title ?? result.id) }),
    el("span", { class: "description", text: String(result.description ?? "") }))));
}

async function chooseInline(queryId, resultId) {
  const answer = await api("choose_inline_result", { inline_query_id: queryId, result_id: resultId,
                                                     user_id: view.userId });
  if (!answer.ok) return;
  $("text").value = "";
  showInlineResults(null);
  if (view.chatId !== view.userId) await openChat(view.userId);  // sent to your private chat
}

// The ⋯ menu: share a location; in a group, add the bot or remove it.
function renderActionsMenu() {
  const chat = chatById(view.chatId);
  const items = [["Share location", shareLocation]];
  if (chat && chat.type !== "private") {
    const present = botInGroup(chat.id);
    if (present !== true) items.push(["Add the bot to this group", () => botMembership("add_bot")]);
    if (present !== false) items.push(["Remove the bot from this group", () => botMembership("remove_bot")]);
  }
  $("actions-menu").replaceChildren(...items.map(([label, act]) => el("button", { type: "button",
    role: "menuitem", text: label, onclick: () => { closeActionsMenu(); act(); } })));
}

// true or false by the server's bot_status (a bot is a member where none is listed);
// null when the server does not say.
function botInGroup(chatId) {
  const listed = view.state.bot_status;
  if (!Array.isArray(listed)) return null;
  const found = listed.find((s) => s.bot_id === view.botId && s.chat_id === chatId);
  return !found || ["member", "administrator", "creator", "restricted"].includes(found.status);
}

function toggleActionsMenu() {
  const menu = $("actions-menu");
  if (!menu.hidden) { closeActionsMenu(); return; }
  renderActionsMenu();
  menu.hidden = false;
  $("more").setAttribute("aria-expanded", "true");
}

function closeActionsMenu() { $("actions-menu").hidden = true; $("more").setAttribute("aria-expanded", "false"); }

async function shareLocation() {
  if (view.userId === null) return;
  const given = prompt("Latitude, longitude", "51.5007, -0.1246");
  if (!given) return;
  const [latitude, longitude] = given.split(",").map((part) => Number(part.trim()));
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) { toast("give a latitude and a longitude"); return; }
  await api("send_location", { bot_id: view.botId, chat_id: view.chatId, user_id: view.userId,
                               latitude, longitude });
}

async function botMembership(action) {
  const answer = await api(action, { bot_id: view.botId, chat_id: view.chatId, user_id: view.userId });
  if (!answer.ok) return;
  await loadState();
  const status = answer.my_chat_member.new_chat_member.status;
  toast(status === "kicked" || status === "left" ? "The bot was removed from the group"
                                                 : "The bot was added to the group");
}

function wireActions() {
  $("text").addEventListener("input", onComposerInput);
  $("more").addEventListener("click", toggleActionsMenu);
  document.addEventListener("click", (event) => {
    if (!event.target.closest("#actions-menu, #more")) closeActionsMenu();
  });
}

wire();
wireActions();
loadState().then(connect).then(showRuntime);
setInterval(showRuntime, 2000);
