package telegramtest

import (
	"fmt"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Files: what users send (SendDocument, SendPhoto, …) and the bot uploads
// is stored under a file_id and a file_path; getFile resolves the one to
// the other, and /file/bot<token>/<file_path> serves the content.

// File is an uploaded file.
type File struct {
	Name string
	Data []byte
}

// Document is a document the bot sent.
type Document struct {
	FileID   string
	FileName string
	MIMEType string
	Data     []byte // the content, for uploads and stored files
}

type storedFile struct {
	id, uniqueID, path, name, mime string
	data                           []byte
}

// storeLocked stores a file under a new file_id. A lean server keeps
// data as it is given, without a copy. s.mu must be held.
func (s *Server) storeLocked(dir, name, mimeType string, data []byte) *storedFile {
	s.nextFile++
	ext := strings.ToLower(path.Ext(name))
	if !s.lean {
		data = slices.Clone(data)
	}
	f := &storedFile{
		id:       fmt.Sprintf("BQACAgIAAxkB%08d", s.nextFile),
		uniqueID: fmt.Sprintf("AgAD%08d", s.nextFile),
		path:     fmt.Sprintf("%s/file_%d%s", dir, s.nextFile, ext),
		name:     name,
		mime:     mimeType,
		data:     data,
	}
	s.files[f.id] = f
	s.byPath[f.path] = f
	return f
}

func (s *Server) getFile(f map[string]string) (any, *apiError) {
	sf := s.files[f["file_id"]]
	if sf == nil {
		return nil, badRequest("invalid file_id")
	}
	if len(sf.data) > maxGetFileSize {
		return nil, badRequest("file is too big")
	}
	return wireFile{FileID: sf.id, FileUniqueID: sf.uniqueID, FileSize: int64(len(sf.data)), FilePath: sf.path}, nil
}

func (s *Server) sendDocument(f map[string]string, files map[string]File) (any, *apiError) {
	id, err := chatID(f)
	if err != nil {
		return nil, err
	}
	if utf16Len(f["caption"]) > maxCaptionLen {
		return nil, badRequest("message caption is too long")
	}
	echo, buttons, err := checkMarkup(f["reply_markup"])
	if err != nil {
		return nil, err
	}
	var sf *storedFile
	if up, ok := files["document"]; ok {
		if len(up.Data) == 0 {
			return nil, badRequest("file must be non-empty")
		}
		mt := mime.TypeByExtension(strings.ToLower(path.Ext(up.Name)))
		if mt == "" {
			mt = "application/octet-stream"
		}
		mt, _, _ = strings.Cut(mt, ";")
		sf = s.storeLocked("documents", up.Name, mt, up.Data)
	} else if ref := f["document"]; ref != "" {
		if sf = s.files[ref]; sf == nil {
			return nil, badRequest("wrong file identifier/HTTP URL specified")
		}
	} else {
		return nil, badRequest("there is no document in the request")
	}
	cs := s.knownChat(id)
	replyTo, rerr := cs.replyTo(f["reply_parameters"])
	if rerr != nil {
		return nil, rerr
	}
	m := &message{w: &wireMessage{From: botUser(), Caption: f["caption"], ReplyMarkup: echo, ReplyTo: replyTo,
		Document: &wireDocument{FileID: sf.id, FileUniqueID: sf.uniqueID, FileName: sf.name,
			MIMEType: sf.mime, FileSize: int64(len(sf.data))}},
		fromBot: true, markup: f["reply_markup"], buttons: buttons, doc: sf}
	s.add(cs, m)
	s.emit("sendDocument", id, m)
	return m.w, nil
}

// serveFile serves a download: rest is <token>/<file_path>.
func (s *Server) serveFile(w http.ResponseWriter, rest string) {
	token, filePath, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	f := s.byPath[filePath]
	if token == s.Token {
		s.countLocked("downloadFile", f == nil)
		if !s.lean {
			s.calls = append(s.calls, Call{Method: "downloadFile", Fields: map[string]string{"file_path": filePath}, At: time.Now()})
		}
		s.bump()
	}
	s.mu.Unlock()
	if token != s.Token || f == nil {
		http.Error(w, `{"ok":false,"error_code":404,"description":"Not Found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	_, _ = w.Write(f.data)
}
