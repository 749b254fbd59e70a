package telemetry

import "time"

// ObserveWebhookAttempt counts one attempt of the webhook dispatcher by its
// outcome ("success" is delivered; "failure" and "error" will be retried).
func (m *Metrics) ObserveWebhookAttempt(outcome string, _ time.Duration) {
	label := WebhookFailed
	if outcome == "success" {
		label = WebhookDelivered
	}
	m.WebhookDeliveries.WithLabelValues(label).Inc()
}
