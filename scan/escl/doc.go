// Package escl is the scan source for network scanners that speak eSCL
// (Apple AirScan, Mopria scan): most multi-function printers sold since
// 2015, over plain HTTP or HTTPS, without a vendor driver.
//
// It owns discovery (mDNS browsing of _uscan._tcp and _uscans._tcp, plus
// addresses a person configured), the eSCL conversation (capabilities,
// status, scan jobs, pages), the mapping of what devices say onto the
// shared scan.DeviceError values, and the trust decision for a device's
// HTTPS certificate (the system's roots, or a fingerprint the person
// pinned). Pages arrive as the JPEG or PNG files the device sent, handed
// on untouched so the PDF stage can embed them without re-encoding.
//
// Devices are as varied as their firmware: the quirks this driver works
// around are named in comments where they are handled, with the device
// that showed them (mostly learnt from sane-airscan and NAPS2).
//
// A device ID is "escl:" followed by the base URL of the device's eSCL
// resource, with an explicit port: "escl:http://192.0.2.7:80/eSCL".
//
// It must not know about other drivers, OCR or PDF writing, and it never
// retries a page whose transfer broke: the device may have moved on, and
// a page silently skipped is worse than a job that stops and says so.
package escl
