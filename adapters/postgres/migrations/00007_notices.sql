-- The transactional outbox of notifications: one row per change someone
-- must be told about, written in the transaction that makes the change
-- (Submit: submitted or resubmitted, for the review group; Decide:
-- decided, for the applicant). Rows hold causes, not texts; the bot renders
-- the messages when it sends them. Replicas claim rows with
-- FOR UPDATE SKIP LOCKED and a lease (claimed_until): a replica that dies
-- mid-send leaves its rows to be claimed again once the lease ran out, so
-- delivery is at least once.

-- +goose Up
CREATE TABLE notices (
    id             bigserial PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('submitted', 'resubmitted', 'decided')),
    application_id bigint NOT NULL REFERENCES applications (id),
    -- The application's version submitted, or decided on.
    app_version    integer NOT NULL,
    decision_id    bigint REFERENCES review_decisions (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- Not claimable before this time: a claimer's lease, or a retry's delay.
    claimed_until  timestamptz,
    -- Claims so far; bounded, then the row is given up.
    attempts       integer NOT NULL DEFAULT 0,
    sent_at        timestamptz,
    given_up_at    timestamptz,
    CHECK ((kind = 'decided') = (decision_id IS NOT NULL))
);

-- The rows still to send, for Claim.
CREATE INDEX notices_due ON notices (id) WHERE sent_at IS NULL AND given_up_at IS NULL;

-- +goose Down
DROP TABLE notices;
