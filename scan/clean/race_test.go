//go:build race

package clean

// raceDetector is set under -race, where the pixel loops run ten times
// slower and a test over the whole corpus would take minutes.
const raceDetector = true
