"""`object_store` module: named base64 blobs kept by the hypervisor (GNS3/lab tools' notes)."""
from __future__ import annotations

import base64
import binascii

from protocol.codec import Reply
from protocol.status import Status

from ..commands import CommandError, Module

module = Module("object_store")

MAX_STORE_BYTES = 64 * 1024 * 1024    # all objects together; each is bounded by the line


def store(session):
    return session.hypervisor.registry.store


@module.command("write", 2, 2)
async def write(session, args):
    name, text = args
    objects = store(session)
    if name in objects:
        raise CommandError(Status.ERR_CREATE, "unable to store object")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise CommandError(Status.ERR_CREATE, "unable to decode base64") from None
    if sum(len(blob) for blob in objects) + len(data) > MAX_STORE_BYTES:
        raise CommandError(Status.ERR_CREATE,
                           f"unable to store object (store limit {MAX_STORE_BYTES} bytes)")
    objects.add(name, data)


@module.command("read", 1, 1)
async def read(session, args):
    return base64.b64encode(store(session).get(args[0])).decode("ascii")


@module.command("rename", 2, 2)
async def rename(session, args):
    old, new = args
    objects = store(session)
    objects.get(old)
    if not objects.rename(old, new):
        raise CommandError(Status.ERR_RENAME,
                           f"unable to rename object '{old}', '{new}' already exists")
    return f"object '{old}' renamed to '{new}'"


@module.command("delete", 1, 1)
async def delete(session, args):
    if store(session).remove(args[0]) is None:
        raise CommandError(Status.ERR_DELETE, f"unable to delete object {args[0]}")
    return f"object {args[0]} deleted"


@module.command("delete_all", 0, 0)
async def delete_all(session, args):
    store(session).clear()
    return "object store deleted"


@module.command("list", 0, 0)
async def list_objects(session, args):
    return Reply(info=[f"{name} (len={len(blob)})" for name, blob in store(session).newest_first()])
