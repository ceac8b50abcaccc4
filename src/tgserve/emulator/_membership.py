"""Who is in a chat: the bot added, removed or blocked; users joining, leaving, banned.

Users' changes send ``my_chat_member`` (about the bot) and ``chat_member`` (about a user,
to a bot that is an administrator and lists it in allowed_updates), with the service
messages Telegram posts. Bots read members, ban, restrict, promote, and manage invite
links and join requests; changing members takes administrator rights, as on Telegram.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from tgserve.emulator._actions import user_message
from tgserve.emulator._errors import bad_request
from tgserve.emulator._messages import resolve_chat
from tgserve.emulator._params import Params
from tgserve.emulator._registry import method
from tgserve.emulator._state import JSON, BotState, Event, World

PERMISSIONS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
    "can_react_to_messages",
)
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
)
_PRESENT = ("creator", "administrator", "member", "restricted")


def administrator(user: JSON, **rights: bool) -> JSON:
    granted = {right: rights.get(right, right != "can_promote_members") for right in ADMIN_RIGHTS}
    return {
        "status": "administrator",
        "user": dict(user),
        "can_be_edited": False,
        "is_anonymous": False,
        **granted,
    }


def is_present(member: JSON) -> bool:
    return member["status"] in _PRESENT and member.get("is_member", True) is not False


def user_member(world: World, chat_id: int, user_id: int) -> JSON:
    """A user's ChatMember in a chat."""
    user = world.user(user_id)
    chat = world.chats.get(chat_id)
    if chat is not None and chat["type"] == "private":
        return {"status": "member" if chat_id == user_id else "left", "user": dict(user)}
    found = world.member_status.get((chat_id, user_id))
    if found is not None:
        return found
    members = world.members.get(chat_id, [])
    if user_id not in members:
        return {"status": "left", "user": dict(user)}
    if members and members[0] == user_id:
        return {"status": "creator", "user": dict(user), "is_anonymous": False}
    return {"status": "member", "user": dict(user)}


def bot_member(world: World, bot: BotState, chat_id: int) -> JSON:
    """The bot's ChatMember in a chat (a member of every group it was not removed from)."""
    return world.bot_status.get((bot.id, chat_id)) or {"status": "member", "user": bot.user()}


def _changed(chat: JSON, actor: JSON, old: JSON, new: JSON, link: JSON | None = None) -> JSON:
    update: JSON = {
        "chat": dict(chat),
        "from": dict(actor),
        "date": int(time.time()),
        "old_chat_member": old,
        "new_chat_member": new,
    }
    if link is not None:
        update["invite_link"] = link
    return update


def _group(world: World, chat_id: int) -> JSON:
    chat = world.chats.get(chat_id)
    if chat is None or chat["type"] == "private":
        raise LookupError(f"no group {chat_id}")
    return chat


# what users do


def set_bot_status(world: World, bot: BotState, chat_id: int, by_user_id: int, status: str) -> JSON:
    """A user adds (``member``/``administrator``) or removes (``kicked``) the bot, or blocks
    (``kicked``) and unblocks (``member``) it in their private chat. Returns the update."""
    actor = world.user(by_user_id)
    chat = world.chats.get(chat_id)
    if chat is None:
        raise LookupError(f"no chat {chat_id}")
    if chat["type"] == "private" and chat_id != by_user_id:
        raise LookupError("only the user can block or unblock the bot in their private chat")
    if chat["type"] != "private" and by_user_id not in world.members.get(chat_id, []):
        raise LookupError("the user is not a member of this group")
    old = bot_member(world, bot, chat_id)
    if status == "administrator":
        new = administrator(bot.user())
    elif status == "kicked":
        new = {"status": "kicked", "user": bot.user(), "until_date": 0}
    elif status in ("member", "left"):
        new = {"status": status, "user": bot.user()}
    else:
        raise ValueError("status is member, administrator, left or kicked")
    if old["status"] == new["status"]:
        raise LookupError(f"the bot is already {status} here")
    world.bot_status[(bot.id, chat_id)] = new
    update = _changed(chat, actor, old, new)
    world.push_update(bot, "my_chat_member", update, chat_id)
    if chat["type"] != "private" and is_present(new) and not is_present(old):
        user_message(world, bot, by_user_id, chat_id, {"new_chat_members": [bot.user()]})
    world.record(Event("member", bot.id, chat_id, None, {"bot": new}))
    return update


def _user_changed(
    world: World,
    bot: BotState,
    chat_id: int,
    user_id: int,
    new: JSON,
    actor: JSON,
    link: JSON | None = None,
) -> JSON:
    chat = _group(world, chat_id)
    old = user_member(world, chat_id, user_id)
    members = world.members.setdefault(chat_id, [])
    if is_present(new) and user_id not in members:
        members.append(user_id)
    if not is_present(new) and user_id in members:
        members.remove(user_id)
    if new["status"] == "member":
        world.member_status.pop((chat_id, user_id), None)
    else:
        world.member_status[(chat_id, user_id)] = new
    update = _changed(chat, actor, old, new, link)
    if bot_member(world, bot, chat_id)["status"] in ("administrator", "creator"):
        world.push_update(bot, "chat_member", update, chat_id)
    world.record(Event("member", bot.id, chat_id, None, {"user": new}))
    return update


def join(world: World, bot: BotState, chat_id: int, user_id: int, link: JSON | None = None) -> JSON:
    """The user joins the group: ``chat_member`` and a ``new_chat_members`` message."""
    user = world.user(user_id)
    if is_present(user_member(world, chat_id, user_id)):
        raise LookupError("the user is already in this group")
    if user_member(world, chat_id, user_id)["status"] == "kicked":
        raise LookupError("the user is banned from this group")
    update = _user_changed(
        world, bot, chat_id, user_id, {"status": "member", "user": dict(user)}, user, link
    )
    user_message(world, bot, user_id, chat_id, {"new_chat_members": [dict(user)]})
    return update


def leave(world: World, bot: BotState, chat_id: int, user_id: int) -> JSON:
    """The user leaves the group: ``chat_member`` and a ``left_chat_member`` message."""
    user = world.user(user_id)
    if not is_present(user_member(world, chat_id, user_id)):
        raise LookupError("the user is not in this group")
    user_message(world, bot, user_id, chat_id, {"left_chat_member": dict(user)})
    return _user_changed(world, bot, chat_id, user_id, {"status": "left", "user": user}, user)


def use_invite_link(world: World, bot: BotState, link: str, user_id: int) -> JSON:
    """The user opens an invite link: joins, or sends a ``chat_join_request``."""
    found = world.invite_links.get(link)
    if found is None or found["link"]["is_revoked"]:
        raise LookupError("the invite link is invalid or revoked")
    chat_id, info = int(found["chat_id"]), found["link"]
    if info.get("expire_date") and info["expire_date"] < time.time():
        raise LookupError("the invite link has expired")
    if not info.get("creates_join_request"):
        return join(world, bot, chat_id, user_id, info)
    user = world.user(user_id)
    request: JSON = {
        "chat": dict(_group(world, chat_id)),
        "from": dict(user),
        "user_chat_id": user_id,
        "date": int(time.time()),
        "invite_link": info,
    }
    world.join_requests[(chat_id, user_id)] = request
    world.push_update(bot, "chat_join_request", request, chat_id)
    return request


# what bots do


def _admin(world: World, bot: BotState, chat_id: int, right: str) -> None:
    member = bot_member(world, bot, chat_id)
    if member["status"] != "administrator" or not member.get(right, False):
        raise bad_request("not enough rights to manage chat members")


def _target(world: World, p: Params) -> tuple[JSON, JSON]:
    chat = resolve_chat(world, p)
    user = world.users.get(p.integer("user_id") or 0)
    if user is None:
        raise bad_request("user not found")
    return chat, user


@method("getChatMember")
async def get_chat_member(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    ident = p.integer("user_id") or 0
    if ident == bot.id:
        return bot_member(world, bot, chat["id"])
    if ident not in world.users:
        raise bad_request("PARTICIPANT_ID_INVALID")
    return user_member(world, chat["id"], ident)


@method("getChatAdministrators")
async def get_chat_administrators(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    if chat["type"] == "private":
        raise bad_request("there are no administrators in the private chat")
    found = [user_member(world, chat["id"], u) for u in world.members.get(chat["id"], [])]
    admins = [m for m in found if m["status"] in ("creator", "administrator")]
    if bot_member(world, bot, chat["id"])["status"] == "administrator":
        admins.append(bot_member(world, bot, chat["id"]))
    return admins


async def _count(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    if chat["type"] == "private":
        return 2
    present = is_present(bot_member(world, bot, chat["id"]))
    return len(world.members.get(chat["id"], [])) + (1 if present else 0)


method("getChatMemberCount")(_count)
method("getChatMembersCount")(_count)


async def _ban(world: World, bot: BotState, p: Params) -> Any:
    chat, user = _target(world, p)
    _admin(world, bot, chat["id"], "can_restrict_members")
    if user_member(world, chat["id"], user["id"])["status"] == "creator":
        raise bad_request("can't remove chat owner")
    until = p.integer("until_date", 0) or 0
    banned = {"status": "kicked", "user": dict(user), "until_date": until}
    _user_changed(world, bot, chat["id"], user["id"], banned, bot.user())
    if p.flag("revoke_messages"):
        conv = world.conversation(bot.id, chat["id"])
        for message in conv.messages.values():
            if message.raw.get("from", {}).get("id") == user["id"] and not message.deleted:
                message.deleted = True
                world.record(Event("delete", bot.id, chat["id"], message))
    return True


method("banChatMember")(_ban)
method("kickChatMember")(_ban)


@method("unbanChatMember")
async def unban_chat_member(world: World, bot: BotState, p: Params) -> Any:
    chat, user = _target(world, p)
    _admin(world, bot, chat["id"], "can_restrict_members")
    current = user_member(world, chat["id"], user["id"])
    if current["status"] != "kicked" and (p.flag("only_if_banned") or not is_present(current)):
        return True  # without only_if_banned, Telegram also removes a present member
    left = {"status": "left", "user": dict(user)}
    _user_changed(world, bot, chat["id"], user["id"], left, bot.user())
    return True


@method("restrictChatMember")
async def restrict_chat_member(world: World, bot: BotState, p: Params) -> Any:
    chat, user = _target(world, p)
    _admin(world, bot, chat["id"], "can_restrict_members")
    given = p.json("permissions")
    if not isinstance(given, dict):
        raise bad_request("can't parse permissions JSON object")
    current = user_member(world, chat["id"], user["id"])
    if current["status"] == "creator":
        raise bad_request("can't restrict chat owner")
    granted = {name: bool(given.get(name, False)) for name in PERMISSIONS}
    if all(granted.values()):
        new: JSON = {"status": "member", "user": dict(user)}
    else:
        new = {
            "status": "restricted",
            "user": dict(user),
            "is_member": is_present(current),
            "until_date": p.integer("until_date", 0) or 0,
            **granted,
        }
    _user_changed(world, bot, chat["id"], user["id"], new, bot.user())
    return True


@method("promoteChatMember")
async def promote_chat_member(world: World, bot: BotState, p: Params) -> Any:
    chat, user = _target(world, p)
    _admin(world, bot, chat["id"], "can_promote_members")
    rights = {right: p.flag(right) for right in ADMIN_RIGHTS}
    new = administrator(user, **rights) if any(rights.values()) else None
    _user_changed(
        world, bot, chat["id"], user["id"], new or {"status": "member", "user": user}, bot.user()
    )
    return True


@method("leaveChat")
async def leave_chat(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    if chat["type"] == "private":
        raise bad_request("chat member status can't be changed in private chats")
    old = bot_member(world, bot, chat["id"])
    new = {"status": "left", "user": bot.user()}
    world.bot_status[(bot.id, chat["id"])] = new
    world.push_update(bot, "my_chat_member", _changed(chat, bot.user(), old, new), chat["id"])
    return True


def _new_link(bot: BotState, p: Params, primary: bool = False) -> JSON:
    link: JSON = {
        "invite_link": "https://t.me/+" + secrets.token_urlsafe(12),
        "creator": bot.user(),
        "creates_join_request": p.flag("creates_join_request"),
        "is_primary": primary,
        "is_revoked": False,
    }
    for field in ("name", "expire_date", "member_limit"):
        if field in p:
            link[field] = p.text(field) if field == "name" else p.integer(field)
    if link["creates_join_request"] and "member_limit" in link:
        raise bad_request("member_limit can't be used with creates_join_request")
    return link


def _store_link(world: World, chat_id: int, link: JSON) -> JSON:
    world.invite_links[link["invite_link"]] = {"chat_id": chat_id, "link": link}
    return link


@method("createChatInviteLink")
async def create_chat_invite_link(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    _admin(world, bot, chat["id"], "can_invite_users")
    return _store_link(world, chat["id"], _new_link(bot, p))


@method("exportChatInviteLink")
async def export_chat_invite_link(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    _admin(world, bot, chat["id"], "can_invite_users")
    return _store_link(world, chat["id"], _new_link(bot, Params({}), primary=True))["invite_link"]


def _own_link(world: World, bot: BotState, p: Params) -> JSON:
    chat = resolve_chat(world, p)
    _admin(world, bot, chat["id"], "can_invite_users")
    found = world.invite_links.get(p.text("invite_link") or "")
    if found is None or found["chat_id"] != chat["id"]:
        raise bad_request("INVITE_HASH_EXPIRED")
    link: JSON = found["link"]
    return link


@method("editChatInviteLink")
async def edit_chat_invite_link(world: World, bot: BotState, p: Params) -> Any:
    link = _own_link(world, bot, p)
    for field in ("name", "expire_date", "member_limit", "creates_join_request"):
        if field in p:
            link[field] = (
                p.flag(field)
                if field == "creates_join_request"
                else (p.text(field) if field == "name" else p.integer(field))
            )
    return link


@method("revokeChatInviteLink")
async def revoke_chat_invite_link(world: World, bot: BotState, p: Params) -> Any:
    link = _own_link(world, bot, p)
    link["is_revoked"] = True
    return link


def _request(world: World, bot: BotState, p: Params) -> tuple[JSON, JSON]:
    chat, user = _target(world, p)
    _admin(world, bot, chat["id"], "can_invite_users")
    request = world.join_requests.pop((chat["id"], user["id"]), None)
    if request is None:
        raise bad_request("HIDE_REQUESTER_MISSING")
    return chat, request


@method("approveChatJoinRequest")
async def approve_chat_join_request(world: World, bot: BotState, p: Params) -> Any:
    chat, request = _request(world, bot, p)
    join(world, bot, chat["id"], int(request["from"]["id"]), request.get("invite_link"))
    return True


@method("declineChatJoinRequest")
async def decline_chat_join_request(world: World, bot: BotState, p: Params) -> Any:
    _request(world, bot, p)
    return True
