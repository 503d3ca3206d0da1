"""Reply status codes of the dynamips hypervisor protocol (PROTOCOL.md §3)."""
from enum import IntEnum


class Status(IntEnum):
    OK = 100               # final success line
    INFO = 101             # intermediate info line (lists, warnings)
    DEBUG = 102            # defined by dynamips, never sent
    ERR_PARSING = 200      # tokenizer errors, fewer than 2 tokens
    ERR_UNK_MODULE = 201
    ERR_UNK_CMD = 202
    ERR_BAD_PARAM = 203    # wrong number of arguments
    ERR_INV_PARAM = 204
    ERR_BINDING = 205
    ERR_CREATE = 206
    ERR_DELETE = 207
    ERR_UNK_OBJ = 208
    ERR_START = 209
    ERR_STOP = 210
    ERR_FILE = 211
    ERR_BAD_OBJ = 212
    ERR_RENAME = 213
    ERR_NOT_FOUND = 214
    ERR_UNSPECIFIED = 215

    @property
    def is_error(self) -> bool:
        return self >= 200
