-- The review group's replies go through the notices outbox too, so that a
-- crash does not lose them (issue 19):
--
-- * kind 'cards': an application changed (a decision, the account
--   created); every card of it in the group is edited. Decide and Provision
--   record it beside the applicant's notice, which no longer carries the
--   group's edits: the two are sent by separate lanes, and an applicant
--   never waits for the group's rate limit.
-- * kind 'replies': the group's answer to a reviewer's action (a reason
--   prompt, a /pending list, ...), recorded as rendered (replies, the
--   JSON of the transport-neutral replies) before the update is confirmed
--   to Telegram. It belongs to no application. dedup_key names what it
--   answers (a group message, a button press), so that an update
--   delivered again records its answer once. The payload may quote an
--   application's data (masked as the group sees it): it is dropped once
--   the notice is sent or given up.
-- * sent_messages: how far an attempt got, one entry per reply Telegram
--   accepted (the message id, 0 for an edit), so that the attempt after a
--   crash or a 429 does not send those again.
--
-- During a rolling upgrade a replica of the earlier release cannot claim a
-- 'replies' row (its scan of the NULL application fails and rolls back)
-- but takes a 'cards' row for an unknown kind and marks it sent: a card
-- edited then keeps its buttons (a press answers "already decided").

-- +goose Up
ALTER TABLE notices ADD COLUMN sent_messages bigint[] NOT NULL DEFAULT '{}';
ALTER TABLE notices ALTER COLUMN application_id DROP NOT NULL;
ALTER TABLE notices ADD COLUMN dedup_key text;
ALTER TABLE notices ADD COLUMN replies jsonb;

ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN
    ('submitted', 'resubmitted', 'decided', 'provisioned', 'withdrawn', 'cards', 'replies'));
ALTER TABLE notices ADD CONSTRAINT notices_replies_check CHECK (
    (kind = 'replies') = (application_id IS NULL) AND
    (kind = 'replies') = (dedup_key IS NOT NULL) AND
    (kind = 'replies' OR replies IS NULL));

CREATE UNIQUE INDEX notices_dedup ON notices (dedup_key) WHERE dedup_key IS NOT NULL;

-- A provisioned notice not sent yet was to edit the cards as well.
INSERT INTO notices (kind, application_id, app_version)
    SELECT 'cards', application_id, app_version FROM notices
    WHERE kind = 'provisioned' AND sent_at IS NULL AND given_up_at IS NULL;

-- +goose Down
DELETE FROM notices WHERE kind IN ('cards', 'replies');
DROP INDEX notices_dedup;
ALTER TABLE notices DROP CONSTRAINT notices_replies_check;
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN
    ('submitted', 'resubmitted', 'decided', 'provisioned', 'withdrawn'));
ALTER TABLE notices DROP COLUMN replies;
ALTER TABLE notices DROP COLUMN dedup_key;
ALTER TABLE notices ALTER COLUMN application_id SET NOT NULL;
ALTER TABLE notices DROP COLUMN sent_messages;
