// Package botapi is regbot's side of the wire to Telegram's Bot API
// (https://core.telegram.org/bots/api): what package bot needs that
// github.com/go-telegram/bot does not do, or does too slowly for the hot
// path (docs/performance.md).
//
//   - Client: the HTTP transport every Bot API request shares (pooled
//     connections, deadlines for calls without one, bodies sent in one
//     piece, an Observer for metrics), lean JSON calls (Call) with the
//     library's error values, and file downloads. go-telegram/bot is given
//     its HTTPClient for the rest (uploads, getFile, setWebhook, …).
//   - Poller: long polling that confirms an update to Telegram only once
//     it has been handled, and decodes only the updates not already in hand.
//   - Webhook: the HTTP handler Telegram posts updates to (secret token,
//     body limit, answered once handled) and its server.
//
// Both receivers hand updates to a Dispatch function; what an update
// means is package bot's business. Errors never contain the token.
package botapi
