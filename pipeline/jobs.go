package pipeline

import "runtime"

func defaultJobs() int { return runtime.NumCPU() }
