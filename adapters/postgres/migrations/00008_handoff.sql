-- The hand-off to the exchange and the applicant's data rights.
--
-- * The platform password is sealed to the exchange's public key (age), not
--   hashed: password_sealed replaces password_hash (a hash can never be
--   handed to the platform). It is erased once the account exists.
-- * An approved application is exported once (exported_at) and then
--   provisioned on the platform (status provisioned, provisioned_at and the
--   platform's id for it).
-- * The consent records the version of the notice agreed to.
-- * erased_at: the application's personal data was replaced by tombstones
--   (/delete, purge); the reference, status and audit rows stay.
-- * audit_log: what operators and applicants did to applications outside
--   the review (exports, provisioning, withdrawals, erasures), append-only.
-- * review_cards: the review group's messages that show an application,
--   so that a change edits every card of it.

-- +goose Up
ALTER TABLE applications DROP CONSTRAINT applications_status_check;
ALTER TABLE applications ADD CONSTRAINT applications_status_check CHECK (status IN
    ('draft', 'submitted', 'resubmitted', 'approved', 'rejected', 'withdrawn', 'provisioned'));
ALTER TABLE applications DROP COLUMN password_hash;
ALTER TABLE applications ADD COLUMN password_sealed bytea;
ALTER TABLE applications ADD COLUMN exported_at timestamptz;
ALTER TABLE applications ADD COLUMN provisioned_at timestamptz;
ALTER TABLE applications ADD COLUMN platform_id text NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN consent_version text NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN erased_at timestamptz;

-- Approved applications not yet exported, for the incremental export.
CREATE INDEX applications_to_export ON applications (id) WHERE status = 'approved' AND exported_at IS NULL;

CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    -- Who: an operator's name (--operator), or "applicant" (chat actions).
    actor          text NOT NULL CHECK (actor <> ''),
    action         text NOT NULL,
    application_id bigint REFERENCES applications (id),
    detail         text NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_application ON audit_log (application_id, id);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Earlier versions stay append-only, except for one change: the erasure of
-- their content (the snapshot becomes the tombstone {"erased": true}).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION application_versions_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.snapshot = '{"erased": true}'::jsonb
        AND NEW.id = OLD.id AND NEW.application_id = OLD.application_id
        AND NEW.version = OLD.version AND NEW.status = OLD.status AND NEW.replaced_at = OLD.replaced_at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'application_versions is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN
    ('submitted', 'resubmitted', 'decided', 'provisioned', 'withdrawn'));

CREATE TABLE review_cards (
    application_id bigint NOT NULL REFERENCES applications (id),
    chat_id        bigint NOT NULL,
    message_id     bigint NOT NULL,
    shown_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, chat_id, message_id)
);

-- +goose Down
DROP TABLE review_cards;
DELETE FROM notices WHERE kind IN ('provisioned', 'withdrawn');
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('submitted', 'resubmitted', 'decided'));
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION application_versions_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'application_versions is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP INDEX applications_to_export;
ALTER TABLE applications DROP COLUMN erased_at;
ALTER TABLE applications DROP COLUMN consent_version;
ALTER TABLE applications DROP COLUMN platform_id;
ALTER TABLE applications DROP COLUMN provisioned_at;
ALTER TABLE applications DROP COLUMN exported_at;
ALTER TABLE applications DROP COLUMN password_sealed;
ALTER TABLE applications ADD COLUMN password_hash text NOT NULL DEFAULT '';
UPDATE applications SET status = 'approved' WHERE status = 'provisioned';
ALTER TABLE applications DROP CONSTRAINT applications_status_check;
ALTER TABLE applications ADD CONSTRAINT applications_status_check CHECK (status IN
    ('draft', 'submitted', 'resubmitted', 'approved', 'rejected', 'withdrawn'));
