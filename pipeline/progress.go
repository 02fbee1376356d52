package pipeline

// Stage names what an Event is about.
type Stage string

// Stages, in the order a page goes through them.
const (
	StageRead      Stage = "read"
	StageRecognise Stage = "ocr"
	StageWrite     Stage = "write"
	StageDone      Stage = "done"
)

// Event is one progress report. Done counts pages finished at that stage;
// Total is the number of pages when known, else 0.
type Event struct {
	Stage   Stage  `json:"stage"`
	Page    int    `json:"page,omitempty"`
	Done    int    `json:"done"`
	Total   int    `json:"total,omitempty"`
	Text    string `json:"text,omitempty"`
	Warning string `json:"warning,omitempty"`
}
