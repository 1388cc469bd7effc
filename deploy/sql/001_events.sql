-- hookpath schema, migration 1: the events table of the Postgres sink.
-- One row per event; (instance, event_id) identifies it, so replays never duplicate a row.
CREATE TABLE IF NOT EXISTS hookpath_events (
    instance   text        NOT NULL,  -- control.instance of the appliance
    event_id   text        NOT NULL,  -- "<boot_ms>-<seq>", as in the events file
    ts         timestamptz NOT NULL,  -- verdict time
    worker     smallint    NOT NULL,
    endpoint   text,                  -- JSON-escaped, NULL when unrouted
    webhook_id text,                  -- the provider's delivery id (JSON-escaped)
    verdict    text        NOT NULL,  -- accept, reject, duplicate, pass
    reason     text        NOT NULL,
    latency_ns bigint      NOT NULL,
    event      json        NOT NULL,  -- the events file line, byte for byte
    PRIMARY KEY (instance, event_id)
);
CREATE INDEX IF NOT EXISTS hookpath_events_ts ON hookpath_events (ts);
CREATE INDEX IF NOT EXISTS hookpath_events_webhook ON hookpath_events (endpoint, webhook_id);
