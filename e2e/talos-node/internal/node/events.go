package node

import (
	"sync"
	"time"

	"github.com/rs/xid"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// eventTypePrefix is how machined names event payloads in google.protobuf.Any (talos/runtime/<message>).
const eventTypePrefix = "talos/runtime/"

type event struct {
	id      xid.ID
	at      time.Time
	actorID string
	msg     *machine.Event
}

// EventLog is one boot's runtime event stream (machined keeps events in memory: a reboot starts afresh).
type EventLog struct {
	mu     sync.Mutex
	events []event
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	ch      chan *machine.Event
	actorID string
}

// WatchOptions mirror machine.EventsRequest.
type WatchOptions struct {
	TailEvents  int32 // -1: everything since boot
	TailID      string
	TailSeconds int32
	ActorID     string
}

func newEventLog() *EventLog {
	return &EventLog{subs: map[*subscriber]struct{}{}}
}

// Publish appends an event and hands it to every watcher.
func (l *EventLog) Publish(payload proto.Message, actorID string) {
	value, err := proto.Marshal(payload)
	if err != nil {
		panic(err) // machinery's own messages always marshal
	}

	id := xid.New()
	msg := &machine.Event{
		Data:    &anypb.Any{TypeUrl: eventTypePrefix + string(payload.ProtoReflect().Descriptor().FullName()), Value: value},
		Id:      id.String(),
		ActorId: actorID,
	}

	l.mu.Lock()
	defer l.mu.Unlock()

	if l.closed {
		return
	}

	l.events = append(l.events, event{id: id, at: time.Now(), actorID: actorID, msg: msg})

	for s := range l.subs {
		if s.actorID != "" && s.actorID != actorID {
			continue
		}

		select {
		case s.ch <- msg:
		default: // a watcher that does not read loses events, as with machined's bounded buffer
		}
	}
}

// Watch returns the backlog the options ask for and a channel of later events; cancel stops it.
// The channel is closed when the log is closed (the node went down).
func (l *EventLog) Watch(opts WatchOptions) (backlog []*machine.Event, ch <-chan *machine.Event, cancel func()) {
	l.mu.Lock()
	defer l.mu.Unlock()

	s := &subscriber{ch: make(chan *machine.Event, 1024), actorID: opts.ActorID}

	start := len(l.events)

	switch {
	case opts.TailEvents < 0:
		start = 0
	case opts.TailEvents > 0:
		start = max(0, len(l.events)-int(opts.TailEvents))
	}

	if opts.TailID != "" {
		for i, e := range l.events {
			if e.id.String() == opts.TailID {
				start = i + 1
			}
		}
	}

	if opts.TailSeconds > 0 {
		since := time.Now().Add(-time.Duration(opts.TailSeconds) * time.Second)

		for i, e := range l.events {
			if !e.at.Before(since) {
				start = min(start, i)

				break
			}
		}
	}

	for _, e := range l.events[start:] {
		if opts.ActorID == "" || e.actorID == opts.ActorID {
			backlog = append(backlog, e.msg)
		}
	}

	if l.closed {
		c := make(chan *machine.Event)
		close(c)

		return backlog, c, func() {}
	}

	l.subs[s] = struct{}{}

	return backlog, s.ch, func() {
		l.mu.Lock()
		defer l.mu.Unlock()

		if _, ok := l.subs[s]; ok {
			delete(l.subs, s)
			close(s.ch)
		}
	}
}

// Close ends every watch (the node powered off or rebooted).
func (l *EventLog) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()

	l.closed = true

	for s := range l.subs {
		delete(l.subs, s)
		close(s.ch)
	}
}

// Len is the number of events so far.
func (l *EventLog) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()

	return len(l.events)
}
