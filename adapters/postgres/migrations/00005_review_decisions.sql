-- Reviewers' decisions: the audit trail. Rows can only be added; a trigger
-- refuses UPDATE, DELETE and TRUNCATE. app_version is the application's
-- version the decision was taken on.

-- +goose Up
CREATE TABLE review_decisions (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications (id),
    app_version    integer NOT NULL,
    verdict        text NOT NULL CHECK (verdict IN ('approve', 'reject')),
    reviewer_id    bigint NOT NULL,
    reviewer_name  text NOT NULL,
    reason         text NOT NULL,
    decided_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (verdict <> 'reject' OR reason <> '')
);

CREATE INDEX review_decisions_application ON review_decisions (application_id, id);

-- +goose StatementBegin
CREATE FUNCTION review_decisions_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'review_decisions is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER review_decisions_no_update_delete
    BEFORE UPDATE OR DELETE ON review_decisions
    FOR EACH ROW EXECUTE FUNCTION review_decisions_append_only();

CREATE TRIGGER review_decisions_no_truncate
    BEFORE TRUNCATE ON review_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION review_decisions_append_only();

-- +goose Down
DROP TABLE review_decisions;
DROP FUNCTION review_decisions_append_only();
