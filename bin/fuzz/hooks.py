"""Schemathesis hooks for `npm run fuzz` (bin/fuzz.ts loads them through SCHEMATHESIS_HOOKS).

- Tokens for the protected operations, from the API itself: sign up an organization, log in.
- One check of our own, refining positive_data_acceptance where the document states a rule in words.
"""

import os
import secrets
import zlib

import requests
import schemathesis

API = os.environ["FUZZ_API_URL"]
# "token": protected operations get a token; "none": they get none (the unauthenticated pass).
AUTH = os.environ.get("FUZZ_AUTH", "token")

PASSWORD = "fuzz password 1"

# Operations that end the token they are called with, or every token of its admin: logout, logout-all,
# a change of email or password, the deletion of the organization. With one shared token, the first
# such case would turn every later case of every protected operation into the gateway's 403, and the
# run would test nothing but the authorizer. Each of their cases gets an organization and a token of
# its own instead; every other operation shares one.
REVOKING = {
    ("POST", "/admin/logout"),
    ("POST", "/admin/logout-all"),
    ("PUT", "/org/update"),
    ("DELETE", "/org/delete"),
    ("PUT", "/me/password"),
}

# Where a valid request may still be refused with 400: the rules the document states in words, since
# JSON Schema cannot express them. Organization names: the character policy (controls, format and
# private-use characters, unassigned code points, combining marks without a base), trimming before
# the length is counted, and the bounded key. Passwords: 72 bytes of UTF-8 and 8 characters after
# preparation (NFC), no unassigned code points. Cursors: opaque, so only the ones the API issued.
# A 400 to a valid request that points anywhere else is a contract the document does not state.
STATED_IN_WORDS = {
    ("POST", "/org/create"): {"/organization_name", "/password"},
    ("GET", "/org/get"): {"/organization_name"},
    ("PUT", "/org/update"): {"/organization_name", "/new_organization_name"},
    ("DELETE", "/org/delete"): {"/organization_name"},
    ("GET", "/org/records"): {"/cursor"},
    ("POST", "/invitations/accept"): {"/password"},
    ("POST", "/password/reset"): {"/password"},
    ("PUT", "/me/password"): {"/new_password"},
    # The audit log's type filter: a comma-separated list of the event types the document names.
    ("GET", "/org/audit-log"): {"/type"},
    ("GET", "/org/audit-log/export"): {"/type"},
    # A webhook endpoint: an https URL a client can parse (WHATWG URL), without user info.
    ("POST", "/org/webhooks"): {"/url"},
}

# Record bodies: the embedded database (FerretDB, which the fuzz run uses) cannot store an array
# directly inside an array, and says so with 400 `unsupported_value` (MongoDB stores them).
RECORD_BODIES = {
    ("POST", "/org/records"),
    ("PUT", "/org/records/{id}"),
    ("PATCH", "/org/records/{id}"),
}


def operation(case):
    return (case.method.upper(), case.operation.path)


def new_admin():
    """A new organization and a token of its admin: (organization name, access token)."""
    suffix = secrets.token_hex(6)
    name = f"Fuzz {suffix}"
    credentials = {"email": f"fuzz-{suffix}@fuzz.example", "password": PASSWORD}
    created = requests.post(f"{API}/org/create", json={"organization_name": name, **credentials}, timeout=30)
    created.raise_for_status()
    login = requests.post(f"{API}/admin/login", json=credentials, timeout=30)
    login.raise_for_status()
    return name, login.json()["access_token"]


def own_half(value):
    """True for half of the drawn values, the same half for the same value (shrinking replays it)."""
    return zlib.crc32(repr(value).encode("utf-8", "surrogatepass")) % 2 == 0


# Called for every case (no caching by Schemathesis): the provider keeps the shared token itself.
@schemathesis.auth(refresh_interval=None)
class AdminToken:
    shared = None

    def get(self, case, context):
        if AUTH == "none" or not case.operation.definition.raw.get("security"):
            return None
        if operation(case) in REVOKING:
            return new_admin()
        if AdminToken.shared is None:
            AdminToken.shared = new_admin()
        return AdminToken.shared

    def set(self, case, admin, context):
        name, token = admin
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {token}"
        # A drawn organization name is almost never the caller's, so the update and delete routes
        # would only ever answer 403 or 404. Half of the valid cases name the caller's organization
        # instead, and reach the rename, credential change and deletion themselves.
        if case.meta is None or not case.meta.generation.mode.is_positive:
            return
        if operation(case) == ("PUT", "/org/update") and isinstance(case.body, dict):
            if "organization_name" in case.body and own_half(case.body["organization_name"]):
                case.body["organization_name"] = name
        if operation(case) == ("DELETE", "/org/delete") and isinstance(case.query, dict):
            if "organization_name" in case.query and own_half(case.query["organization_name"]):
                case.query["organization_name"] = name


@schemathesis.check
def valid_requests_break_only_rules_in_words(ctx, response, case):
    """A 400 to a request the document allows must point only at rules the document states in words."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        problem = response.json()
    except ValueError:
        raise AssertionError("A 400 to a valid request is not a JSON problem") from None
    code = problem.get("code")
    if code == "unsupported_value" and operation(case) in RECORD_BODIES:
        return None
    # The embedded database cannot query a field name with surrounding spaces (MongoDB can), and says
    # so with 400 `unsupported_filter` pointing at the filters.
    if code == "unsupported_filter" and operation(case) == ("GET", "/org/records"):
        return None
    allowed = STATED_IN_WORDS.get(operation(case), set())
    pointers = {issue.get("pointer") for issue in problem.get("errors", [])}
    if code == "validation_failed" and pointers and pointers <= allowed:
        return None
    raise AssertionError(
        f"A request the document allows was refused ({code}) at {sorted(pointers) or 'no field'}; "
        f"only {sorted(allowed) or 'no field'} may be refused by rules stated in words"
    )
