-- Submitted applications (domain.Application) and their child rows. Text
-- fields the form may leave empty are '' rather than NULL; dates and times
-- that are not set are NULL.

-- +goose Up
CREATE TABLE applications (
    id                   bigserial PRIMARY KEY,
    -- CQ-<submission date in China>-<id, 6 digits or more>; set in the
    -- transaction that inserts the row, so never NULL after commit.
    reference            text UNIQUE,
    -- Idempotency key of the latest submission of this application.
    submission_key       text NOT NULL UNIQUE,
    chat_id              bigint NOT NULL,
    status               text NOT NULL CHECK (status IN
                             ('draft', 'submitted', 'resubmitted', 'approved', 'rejected', 'withdrawn')),
    version              integer NOT NULL DEFAULT 1 CHECK (version > 0),
    member_type          text NOT NULL,
    notice_accepted_at   timestamptz,

    -- 账号信息
    login_name           text NOT NULL,
    user_name            text NOT NULL,
    legal_rep_id_key_id  text NOT NULL,
    legal_rep_id_cipher  bytea NOT NULL,
    legal_rep_id_hash    bytea NOT NULL,
    legal_rep_id_masked  text NOT NULL,
    password_hash        text NOT NULL,

    -- 基本信息
    enterprise_name      text NOT NULL,
    credit_code          text NOT NULL,
    credit_code_flagged  boolean NOT NULL DEFAULT false,
    organization_code    text NOT NULL, -- derived from credit_code (三证合一)
    tax_number           text NOT NULL, -- derived from credit_code (三证合一)
    legal_rep_name       text NOT NULL,
    registered_capital   text NOT NULL, -- 万元, decimal text as entered
    founded_on           date,
    business_term_until  date,
    business_term_open   boolean NOT NULL DEFAULT false,
    industry             text NOT NULL,
    user_type            text NOT NULL,
    region_code          text REFERENCES regions (code),
    registered_address   text NOT NULL,

    -- 商务信息
    bank_name            text NOT NULL,
    bank_account_name    text NOT NULL,
    bank_account_number  text NOT NULL,

    -- 联系信息
    contact_person       text NOT NULL,
    contact_position     text NOT NULL,
    mobile               text NOT NULL,
    email                text NOT NULL,
    landline             text NOT NULL,
    fax                  text NOT NULL,
    mailing_address      text NOT NULL,
    postcode             text NOT NULL,

    submitted_at         timestamptz NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- A login name is held by every application that is not rejected or
-- withdrawn, case-insensitively. Submit maps a violation to a conflict on
-- the login_name field by this index's name.
CREATE UNIQUE INDEX applications_login_name_active ON applications (lower(login_name))
    WHERE status NOT IN ('rejected', 'withdrawn');

-- /pending: open applications, oldest first.
CREATE INDEX applications_open ON applications (submitted_at, id)
    WHERE status IN ('submitted', 'resubmitted');

CREATE INDEX applications_chat ON applications (chat_id, id);

-- 营销户号 of an application, in the order they were added.
CREATE TABLE marketing_accounts (
    application_id bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    position       integer NOT NULL,
    number         text NOT NULL,
    PRIMARY KEY (application_id, position),
    UNIQUE (application_id, number)
);

-- 用电单元: one per chosen metering point; position orders the units of an
-- application across all its accounts.
CREATE TABLE units (
    application_id    bigint NOT NULL,
    account_number    text NOT NULL,
    position          integer NOT NULL,
    metering_point_id text NOT NULL,
    name              text NOT NULL,
    address           text NOT NULL,
    voltage_code      text NOT NULL,
    tariff_category   text NOT NULL,
    unit_type         text NOT NULL,
    high_energy       text NOT NULL,
    PRIMARY KEY (application_id, position),
    UNIQUE (application_id, metering_point_id),
    FOREIGN KEY (application_id, account_number)
        REFERENCES marketing_accounts (application_id, number) ON DELETE CASCADE
);

CREATE INDEX units_metering_point ON units (metering_point_id);

CREATE TABLE attachments (
    application_id bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    position       integer NOT NULL, -- order in domain.Application.Attachments
    kind           text NOT NULL,
    file_name      text NOT NULL,
    size           bigint NOT NULL,
    sha256         text NOT NULL,
    blob_key       text NOT NULL REFERENCES blobs (key),
    file_id        text NOT NULL,
    PRIMARY KEY (application_id, kind)
);

CREATE INDEX attachments_blob ON attachments (blob_key);

-- +goose Down
DROP TABLE attachments;
DROP TABLE units;
DROP TABLE marketing_accounts;
DROP TABLE applications;
