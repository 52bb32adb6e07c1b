-- Uploaded documents, stored once per content (key = hex SHA-256 of data).

-- +goose Up
CREATE TABLE blobs (
    key        text PRIMARY KEY CHECK (key ~ '^[0-9a-f]{64}$'),
    data       bytea NOT NULL,
    size       bigint NOT NULL CHECK (size = octet_length(data)),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE blobs;
