package mqttpub

import "encoding/json"

// haDevice is the device block of Home Assistant discovery: every entity
// of one edgecnn device is grouped under it.
type haDevice struct {
	Identifiers  []string `json:"identifiers"`
	Name         string   `json:"name"`
	Manufacturer string   `json:"manufacturer"`
	Model        string   `json:"model,omitempty"`
}

// haEntity is a Home Assistant MQTT discovery config (the fields used).
type haEntity struct {
	Name                string   `json:"name"`
	UniqueID            string   `json:"unique_id"`
	StateTopic          string   `json:"state_topic,omitempty"`
	ValueTemplate       string   `json:"value_template,omitempty"`
	JSONAttributesTopic string   `json:"json_attributes_topic,omitempty"`
	Topic               string   `json:"topic,omitempty"` // camera image topic
	DeviceClass         string   `json:"device_class,omitempty"`
	Options             []string `json:"options,omitempty"`
	UnitOfMeasurement   string   `json:"unit_of_measurement,omitempty"`
	StateClass          string   `json:"state_class,omitempty"`
	Icon                string   `json:"icon,omitempty"`
	AvailabilityTopic   string   `json:"availability_topic"`
	PayloadAvailable    string   `json:"payload_available"`
	PayloadNotAvailable string   `json:"payload_not_available"`
	Device              haDevice `json:"device"`
}

// discovery returns the discovery messages: the label sensor, the
// probability sensor and, with snapshots, a camera.
func (p *Publisher) discovery() []message {
	id := p.cfg.DeviceID
	dev := haDevice{Identifiers: []string{"edgecnn_" + id}, Name: "edgecnn " + id, Manufacturer: "edgecnn", Model: p.cfg.Model}
	base := haEntity{
		AvailabilityTopic: p.topics.Availability, PayloadAvailable: Online, PayloadNotAvailable: Offline, Device: dev,
	}
	label := base
	label.Name, label.UniqueID, label.Icon = "Label", "edgecnn_"+id+"_label", "mdi:eye"
	label.StateTopic, label.ValueTemplate, label.JSONAttributesTopic = p.topics.State, "{{ value_json.label }}", p.topics.State
	if len(p.cfg.Labels) > 0 {
		label.DeviceClass, label.Options = "enum", p.cfg.Labels
	}
	prob := base
	prob.Name, prob.UniqueID, prob.Icon = "Probability", "edgecnn_"+id+"_probability", "mdi:percent"
	prob.StateTopic, prob.ValueTemplate = p.topics.State, "{{ (value_json.probability * 100) | round(1) }}"
	prob.UnitOfMeasurement, prob.StateClass = "%", "measurement"
	out := []message{{topic: p.topics.SensorConfig, payload: mustJSON(label)}, {topic: p.topics.ProbabilityConfig, payload: mustJSON(prob)}}
	if p.cfg.Snapshot {
		cam := base
		cam.Name, cam.UniqueID, cam.Topic = "Snapshot", "edgecnn_"+id+"_snapshot", p.topics.Snapshot
		out = append(out, message{topic: p.topics.CameraConfig, payload: mustJSON(cam)})
	}
	return out
}

// mustJSON marshals a struct of strings, which cannot fail.
func mustJSON(v haEntity) []byte {
	b, _ := json.Marshal(v)
	return b
}
