package mqttpub

import "github.com/eclipse/paho.mqtt.golang/packets"

// noStore is a paho message store that keeps nothing. paho's default
// store makes a reconnect re-send every unacknowledged publish, including
// one issued while the reconnect is under way, which then goes out twice
// (a data race inside paho v1.5.1 under -race). Nothing needs replaying
// here: the queue holds the newest state, and the announcement is
// published again on every connect.
type noStore struct{}

func (noStore) Open()                             {}
func (noStore) Put(string, packets.ControlPacket) {}
func (noStore) Get(string) packets.ControlPacket  { return nil }
func (noStore) All() []string                     { return nil }
func (noStore) Del(string)                        {}
func (noStore) Close()                            {}
func (noStore) Reset()                            {}
