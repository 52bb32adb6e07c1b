-- Earlier versions of applications: the content an application had just
-- before a resubmission replaced it (so as it was rejected), for the review
-- group's "what changed since the rejection". Rows can only be added, like
-- review_decisions. snapshot is the domain.Application as JSON without its
-- password hash; the ID number in it stays sealed.

-- +goose Up
CREATE TABLE application_versions (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications (id),
    version        integer NOT NULL,
    status         text NOT NULL,
    snapshot       jsonb NOT NULL,
    replaced_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (application_id, version)
);

-- +goose StatementBegin
CREATE FUNCTION application_versions_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'application_versions is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER application_versions_no_update_delete
    BEFORE UPDATE OR DELETE ON application_versions
    FOR EACH ROW EXECUTE FUNCTION application_versions_append_only();

CREATE TRIGGER application_versions_no_truncate
    BEFORE TRUNCATE ON application_versions
    FOR EACH STATEMENT EXECUTE FUNCTION application_versions_append_only();

-- +goose Down
DROP TABLE application_versions;
DROP FUNCTION application_versions_append_only();
