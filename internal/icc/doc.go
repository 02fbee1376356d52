// Package icc owns the ICC colour profile demat embeds in its PDF/A files:
// an sRGB (IEC 61966-2.1) display profile, version 2.1, built in code so
// that no binary profile with its own licence is shipped in the repository.
//
// It only produces bytes. It does not colour-manage images, read other
// profiles, or know about PDF: the PDF writer decides where the profile
// goes (the DestOutputProfile of the OutputIntent) and uses Description as
// its OutputConditionIdentifier.
package icc
