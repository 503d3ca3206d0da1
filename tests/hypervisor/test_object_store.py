"""`object_store` module."""
from __future__ import annotations

import base64

from .test_vm_module import expect_error


async def test_store_roundtrip_and_errors(client):
    blob = bytes(range(256)) * 4
    text = base64.b64encode(blob).decode()
    assert await client.send(f"object_store write topo {text}") == ["OK"]
    assert await client.send("object_store read topo") == [text]
    await expect_error(client, f"object_store write topo {text}", 206, "unable to store object")
    await expect_error(client, "object_store write bad @@@notbase64", 206,
                       "unable to decode base64")
    assert await client.send("object_store write small YWI=") == ["OK"]
    assert await client.send("object_store list") == \
        ["small (len=2)", f"topo (len={len(blob)})", "OK"]
    assert await client.send("object_store rename topo t2") == ["object 'topo' renamed to 't2'"]
    await expect_error(client, "object_store rename t2 small", 213,
                       "unable to rename object 't2', 'small' already exists")
    await expect_error(client, "object_store read topo", 208, "unable to find object 'topo'")
    assert await client.send("object_store delete t2") == ["object t2 deleted"]
    await expect_error(client, "object_store delete t2", 207, "unable to delete object t2")
    assert await client.send("object_store delete_all") == ["object store deleted"]
    assert await client.send("object_store list") == ["OK"]


async def test_store_is_shared_between_connections(server, client):
    from protocol.client import HypervisorClient
    other = await HypervisorClient.connect("127.0.0.1", server.bound_port)
    await client.send("object_store write a YQ==")
    assert await other.send("object_store read a") == ["YQ=="]
    await other.close()
