package botapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// Client is one bot's connection to the Bot API: lean JSON calls (Call),
// file downloads (Download), long polling (Poller), and the HTTP client
// that github.com/go-telegram/bot is given for the rest (HTTPClient). They
// share one transport: the default keeps only 2 idle connections per
// host, so under load the bot spent a sixth of its CPU dialling
// (docs/performance.md).
type Client struct {
	token     string
	serverURL string       // no trailing slash
	httpc     *http.Client // every Bot API call: deadlines, observed, sized bodies
	download  *http.Client // file downloads: observed
}

// NewClient returns the client of the bot with token on serverURL (e.g.
// https://api.telegram.org). A request whose context has no deadline of
// its own (the long poll, uploads, start-up calls) is cut off after
// maxWait. obs, if not nil, is told about every request.
func NewClient(serverURL, token string, obs Observer, maxWait time.Duration) *Client {
	if obs == nil {
		obs = nopObserver{}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 128
	return &Client{
		token:     token,
		serverURL: strings.TrimRight(serverURL, "/"),
		httpc: &http.Client{Transport: deadlines{
			next: observedTransport{next: sizedBodies{tr}, obs: obs},
			max:  maxWait}},
		download: &http.Client{Transport: observedTransport{next: tr, obs: obs}},
	}
}

// HTTPClient is the client every Bot API request goes through; give it to
// go-telegram/bot (tgbot.WithHTTPClient), so that its calls share the
// transport, its deadlines and the observer.
func (c *Client) HTTPClient() *http.Client { return c.httpc }

// Redact returns err's text without the bot token ("" for nil).
func (c *Client) Redact(err error) string {
	if err == nil {
		return ""
	}
	if c.token == "" {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), c.token, "<token>")
}

// url is the Bot API URL of method.
func (c *Client) url(method string) string {
	return c.serverURL + "/bot" + c.token + "/" + method
}

// Download fetches the file at filePath (getFile's file_path) and returns
// at most limit bytes of it. Its errors start with "download: " and never
// contain the link, which contains the token.
func (c *Client) Download(ctx context.Context, filePath string, limit int64) ([]byte, error) {
	link := c.serverURL + "/file/bot" + c.token + "/" + filePath // as tgbot's FileDownloadLink
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, errors.New("download: bad file path")
	}
	resp, err := c.download.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download: HTTP status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	return data, nil
}

// Dispatch is what receives updates from a Poller or a Webhook. It queues
// upd for handling and returns at once; done is called with the outcome
// once the update is handled (nil, or why it failed). It returns false,
// without calling done, when ctx is done before the update could be
// queued (shutdown): the update then stays unconfirmed.
type Dispatch func(ctx context.Context, upd *models.Update, done func(error)) bool
