-- The review group's replies go through the notices outbox too, so that a
-- crash does not lose them (issue 19):
--
-- * kind 'cards': an application changed (a decision, the account
--   created); every card of it in the group is edited. Decide and Provision
--   record it beside the applicant's notice, which no longer carries the
--   group's edits: the two are sent by separate lanes, and an applicant
--   never waits for the group's rate limit.
-- * sent_messages: how far an attempt got, one entry per reply Telegram
--   accepted (the message id, 0 for an edit), so that the attempt after a
--   crash or a 429 does not send those again.

-- +goose Up
ALTER TABLE notices ADD COLUMN sent_messages bigint[] NOT NULL DEFAULT '{}';

ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN
    ('submitted', 'resubmitted', 'decided', 'provisioned', 'withdrawn', 'cards'));

-- A provisioned notice not sent yet was to edit the cards as well.
INSERT INTO notices (kind, application_id, app_version)
    SELECT 'cards', application_id, app_version FROM notices
    WHERE kind = 'provisioned' AND sent_at IS NULL AND given_up_at IS NULL;

-- +goose Down
DELETE FROM notices WHERE kind = 'cards';
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN
    ('submitted', 'resubmitted', 'decided', 'provisioned', 'withdrawn'));
ALTER TABLE notices DROP COLUMN sent_messages;
