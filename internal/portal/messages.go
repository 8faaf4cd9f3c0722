package portal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Message is one secure message in a person's record.
type Message struct {
	ID         string
	PersonID   string
	SenderKind string // "person", "representative" or "service"
	SenderName string // who wrote it: for staff, shown only to staff
	ShownAs    string // what the person sees: their own name, or "Rowan House care team"
	Body       string
	SentAt     time.Time
}

// FromService reports whether the care team wrote it.
func (m Message) FromService() bool { return m.SenderKind == "service" }

// NoticeText is the whole of a notice sent on a channel: no name, no
// content, nothing personal, only that something is waiting.
const NoticeText = "You have a new message in Hearth. Sign in to read it."

// NoticeChannels are the channels a notice may go out on, each only with
// the person's consent to be contacted that way.
var NoticeChannels = []string{"email", "sms"}

// Notice is one notice to send.
type Notice struct {
	ID, PersonID, Channel, Body string
}

// Notifier sends notices. There is no mail server or SMS gateway here; the
// LogNotifier writes each notice to the log instead.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// LogNotifier logs notices instead of sending them.
type LogNotifier struct{ Log *slog.Logger }

// Notify logs the notice (its ID and channel: never the person).
func (l LogNotifier) Notify(_ context.Context, n Notice) error {
	l.Log.Info("portal notice", "id", n.ID, "channel", n.Channel, "body", n.Body)
	return nil
}

// Messages returns the person's messages, oldest first.
func (s *Service) Messages(ctx context.Context, actor door.Actor, personID string) ([]Message, error) {
	var out []Message
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.SendMessage, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Communication", Detail: "read messages"}); err != nil {
			return err
		}
		var err error
		out, err = messages(sc, personID)
		return err
	})
	return out, err
}

func messages(sc *door.Scope, personID string) ([]Message, error) {
	rows, err := sc.Query(`SELECT id, person_id, sender_kind, sender_name, shown_as, body, sent_at FROM portal_messages
		WHERE person_id = ? ORDER BY sent_at, id`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		if err := rows.Scan(&m.ID, &m.PersonID, &m.SenderKind, &m.SenderName, &m.ShownAs, &m.Body, &m.SentAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Send adds a message to the person's record. A staff member writes as the
// service: the person sees the care team's name, and the staff member is
// kept in the record and the audit log. A message from the care team
// queues a notice on each channel the person consented to, and no other.
func (s *Service) Send(ctx context.Context, actor door.Actor, personID, body string) (Message, error) {
	var m Message
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.SendMessage, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Communication", Detail: "sent a message"})
		if err != nil {
			return err
		}
		body = strings.TrimSpace(body)
		var p hearth.Problems
		p.Check(body != "", "Message", "Write your message")
		p.Check(utf8.RuneCountInString(body) <= maxText, "Message", fmt.Sprintf("Your message must be %d characters or fewer", maxText))
		if err := p.Err(); err != nil {
			return err
		}
		person, err := people.Load(sc, personID)
		if err != nil {
			return err
		}
		m = Message{ID: hearth.NewID(), PersonID: personID, SenderName: actor.Name, ShownAs: actor.Name, Body: body, SentAt: sc.Now()}
		switch actor.Kind {
		case access.KindPerson:
			m.SenderKind = "person"
		case access.KindRepresentative:
			m.SenderKind = "representative"
		default:
			m.SenderKind, m.ShownAs = "service", ServiceName(person)
		}
		a.ResourceID = m.ID
		if _, err := sc.Exec(`INSERT INTO portal_messages (id, person_id, sender_kind, sender_id, sender_name, shown_as, body, sent_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, m.PersonID, m.SenderKind, actor.ID, m.SenderName, m.ShownAs, m.Body, m.SentAt); err != nil {
			return err
		}
		if m.SenderKind != "service" || s.consent == nil {
			return nil
		}
		var queued []string
		for _, ch := range NoticeChannels {
			ok, err := s.consent.ChannelConsented(sc, personID, ch, sc.Now())
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if _, err := sc.Exec(`INSERT INTO notification_outbox (id, person_id, channel, body, created_at) VALUES (?, ?, ?, ?, ?)`,
				hearth.NewID(), personID, ch, NoticeText, sc.Now()); err != nil {
				return err
			}
			queued = append(queued, ch)
		}
		if len(queued) > 0 {
			a.Detail += "; notice queued by " + strings.Join(queued, " and ")
		}
		return nil
	})
	return m, err
}

// ServiceName is how the care team signs its messages to the person.
func ServiceName(p people.Person) string {
	if p.LocationName != "" {
		return p.LocationName + " care team"
	}
	return "Your care team"
}

// DeliverNotices sends the notices waiting in the outbox and marks them
// sent. It carries no personal details, so it needs no access decision;
// it returns how many went. Each notice is claimed (marked sent only if it
// is still waiting) before it is sent, so two Hearth nodes on one database
// never send the same notice twice; a notice whose sending fails is released
// to be tried again.
func (s *Service) DeliverNotices(ctx context.Context) (int, error) {
	var pending []Notice
	err := s.door.Outside(ctx, door.NotificationDelivery, func(q *door.Plain) error {
		rows, err := q.Query(`SELECT id, person_id, channel, body FROM notification_outbox WHERE sent_at IS NULL ORDER BY created_at, id LIMIT 500`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n Notice
			if err := rows.Scan(&n.ID, &n.PersonID, &n.Channel, &n.Body); err != nil {
				return err
			}
			pending = append(pending, n)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, n := range pending {
		claimed := false
		err := s.door.Outside(ctx, door.NotificationDelivery, func(q *door.Plain) error {
			res, err := q.Exec(`UPDATE notification_outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL`, s.door.Clock()(), n.ID)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			claimed = k > 0
			return err
		})
		if err != nil {
			return sent, err
		}
		if !claimed {
			continue // another node took it
		}
		if err := s.notifier.Notify(ctx, n); err != nil {
			relErr := s.door.Outside(ctx, door.NotificationDelivery, func(q *door.Plain) error {
				_, err := q.Exec(`UPDATE notification_outbox SET sent_at = NULL WHERE id = ?`, n.ID)
				return err
			})
			if relErr != nil {
				return sent, errors.Join(err, relErr)
			}
			return sent, err
		}
		sent++
	}
	return sent, nil
}
