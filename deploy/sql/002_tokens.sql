-- hookpath schema, migration 2: bearer tokens / API keys (endpoints[].token), level 3 of the
-- token cache. Only the SHA-256 of a token is stored. Add one:
--   INSERT INTO hookpath_tokens (token_sha256, endpoint) VALUES (sha256('the-token'), 'api-in');
-- Revoke one (reaches every worker within tokens.cache_ttl_s; delete the Redis key
-- hookpath:token:<hex> too to skip L2's copy):
--   UPDATE hookpath_tokens SET revoked_at = now() WHERE token_sha256 = sha256('the-token');
CREATE TABLE IF NOT EXISTS hookpath_tokens (
    token_sha256 bytea       PRIMARY KEY CHECK (length(token_sha256) = 32),
    endpoint     text        NOT NULL,  -- the endpoint name the token opens
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,           -- NULL: does not expire
    revoked_at   timestamptz,           -- set: refused
    note         text
);
