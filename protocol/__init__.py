"""The dynamips hypervisor line protocol: request tokenizer, reply codec, async client.

Pure protocol: nothing here knows about sockets except `protocol.client`, and nothing
here imports from the rest of pydynamips.
"""
