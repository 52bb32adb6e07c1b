-- The access catalog (准入目录): enterprises that may register. Searched by
-- substring of the name (ILIKE '%kw%'), which the trigram index serves.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE catalog (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> ''),
    credit_code text,
    imported_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX catalog_name_trgm ON catalog USING gin (name gin_trgm_ops);

-- +goose Down
DROP TABLE catalog;
-- The extension stays: other objects may use it.
