package sign

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// pieceName is demat's key in an appearance's /PieceInfo (ISO 32000-1,
// 14.5), where the block records its QR code's text for Verify: the
// pixels can be read back only with a QR decoder.
const pieceName = "Demat"

// block is a signature block drawn for one page: where it goes, and what
// its appearance holds.
type block struct {
	rect   [4]float64 // the widget's /Rect, in default user space
	matrix [6]float64 // the appearance's /Matrix, against the page's rotation
	*drawn
	image []byte // the text image, zlib-compressed (FlateDecode)
	qr    string
}

// geometryOf reads a page's visible area (its crop box within its media
// box) and rotation.
func geometryOf(nr int, attrs *model.InheritedPageAttrs) (pageGeometry, error) {
	var g pageGeometry
	if attrs == nil || attrs.MediaBox == nil {
		return g, fmt.Errorf("sign: page %d has no /MediaBox: repair the PDF with qpdf and sign the repaired file", nr)
	}
	box := *attrs.MediaBox
	g.llx, g.lly, g.urx, g.ury = math.Min(box.LL.X, box.UR.X), math.Min(box.LL.Y, box.UR.Y), math.Max(box.LL.X, box.UR.X), math.Max(box.LL.Y, box.UR.Y)
	if c := attrs.CropBox; c != nil {
		g.llx = math.Max(g.llx, math.Min(c.LL.X, c.UR.X))
		g.lly = math.Max(g.lly, math.Min(c.LL.Y, c.UR.Y))
		g.urx = math.Min(g.urx, math.Max(c.LL.X, c.UR.X))
		g.ury = math.Min(g.ury, math.Max(c.LL.Y, c.UR.Y))
	}
	if g.urx-g.llx < 1 || g.ury-g.lly < 1 {
		return g, fmt.Errorf("sign: page %d has no visible area (its /CropBox is outside its /MediaBox)", nr)
	}
	g.rotate = ((attrs.Rotate%360)+360)%360 - ((attrs.Rotate%360)+360)%90
	return g, nil
}

// drawBlock makes the block opt.Appearance asks for on the layout's page:
// it hashes the document (what the QR code says), places the block and
// draws it.
func (l *layout) drawBlock(in io.ReaderAt, size int64, key Key, opt Options) (*block, error) {
	a := opt.Appearance
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(in, 0, size)); err != nil {
		return nil, fmt.Errorf("sign: read the PDF: %w", err)
	}
	q := QR{Length: size, Registration: clean(a.Registration)}
	copy(q.SHA256[:], h.Sum(nil))
	if n := len(escapeQR(q.Registration)); n > maxRegistration {
		return nil, fmt.Errorf("sign: the registration number is too long for the QR code (%d characters once encoded, at most %d)", n, maxRegistration)
	}
	shown, rect, err := a.place(l.geometry)
	if err != nil {
		return nil, err
	}
	signer := opt.Name
	if signer == "" {
		signer = key.Certificate.Subject.CommonName
	}
	if signer == "" {
		signer = key.Certificate.Subject.String()
	}
	t := blockText{
		signer: signer,
		// The signer's local time, with its offset: a printed time
		// without its zone is ambiguous across borders and summer time.
		date:         opt.Time.Format("2006-01-02 15:04:05 -07:00"),
		registration: q.Registration,
		reason:       opt.Reason,
		location:     opt.Location,
	}
	d, err := drawBlock(shown[2]-shown[0], shown[3]-shown[1], t, a.Labels, q.String())
	if err != nil {
		return nil, err
	}
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(d.text.Pix)
	zw.Close()
	return &block{rect: rect, matrix: l.geometry.matrix(), drawn: d, image: z.Bytes(), qr: q.String()}, nil
}

// write writes the block's appearance (object formNum) and text image
// (object imgNum) into the update, and gives the widget's /Rect.
func (b *block) write(u *update, formNum, imgNum int, at time.Time) types.Array {
	u.entries = append(u.entries, xrefEntry{imgNum, 0, u.offset()})
	img := types.Dict{
		"Type":             types.Name("XObject"),
		"Subtype":          types.Name("Image"),
		"Width":            types.Integer(b.text.Rect.Dx()),
		"Height":           types.Integer(b.text.Rect.Dy()),
		"ColorSpace":       types.Name("DeviceGray"),
		"BitsPerComponent": types.Integer(8),
		"Filter":           types.Name("FlateDecode"),
		"Length":           types.Integer(len(b.image)),
	}
	fmt.Fprintf(&u.buf, "%d 0 obj\n%s\nstream\n", imgNum, img.PDFString())
	u.buf.Write(b.image)
	u.buf.WriteString("\nendstream\nendobj\n")

	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(b.content)
	zw.Close()
	matrix := make(types.Array, 6)
	for i, v := range b.matrix {
		matrix[i] = types.Integer(v)
	}
	date := types.StringLiteral(pdfDate(at))
	form := types.Dict{
		"Type":    types.Name("XObject"),
		"Subtype": types.Name("Form"),
		"BBox":    types.Array{types.Integer(0), types.Integer(0), round(b.w), round(b.h)},
		"Matrix":  matrix,
		"Resources": types.Dict{
			"XObject": types.Dict{"Im0": types.IndirectRef{ObjectNumber: types.Integer(imgNum)}},
		},
		// What the QR code says, for Verify; PieceInfo needs the
		// dates of its data and of the form.
		"PieceInfo": types.Dict{pieceName: types.Dict{
			"LastModified": date,
			"Private":      types.Dict{"QR": types.StringLiteral(b.qr)},
		}},
		"LastModified": date,
		"Filter":       types.Name("FlateDecode"),
		"Length":       types.Integer(z.Len()),
	}
	u.entries = append(u.entries, xrefEntry{formNum, 0, u.offset()})
	fmt.Fprintf(&u.buf, "%d 0 obj\n%s\nstream\n", formNum, form.PDFString())
	u.buf.Write(z.Bytes())
	u.buf.WriteString("\nendstream\nendobj\n")
	return types.Array{round(b.rect[0]), round(b.rect[1]), round(b.rect[2]), round(b.rect[3])}
}

// round gives a coordinate to the thousandth of a point.
func round(v float64) types.Float { return types.Float(math.Round(v*1000) / 1000) }
