package report

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/perfkit/perfkit/internal/compare"
	"github.com/perfkit/perfkit/internal/results"
)

// The JUnit XML shape CI systems share (Jenkins, GitLab, GitHub test
// reporters): testsuites > testsuite > testcase, with a failure, error or
// skipped child when the case did not pass. encoding/xml escapes every
// attribute and text, and replaces characters XML cannot carry.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitOutcome `xml:"failure,omitempty"`
	Error     *junitOutcome `xml:"error,omitempty"`
	Skipped   *junitOutcome `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitOutcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

const (
	junitSuiteName       = "perfkit"
	junitThresholdsClass = "perfkit.thresholds"
	junitGatesClass      = "perfkit.gates"
)

// RenderSummaryJUnit writes a run's thresholds as JUnit XML, one test
// case each (perfkit report --format junit). A threshold that could not be
// evaluated is an error rather than a failure: nothing was measured
// against it.
func RenderSummaryJUnit(w io.Writer, s *results.Summary) error {
	if s == nil {
		return fmt.Errorf("render %s: no summary", FormatJUnit)
	}
	if err := writeJUnit(w, thresholdCases(s.Thresholds)); err != nil {
		return fmt.Errorf("render %s: %w", FormatJUnit, err)
	}
	return nil
}

// renderComparisonJUnit writes a comparison's thresholds and gates. An
// inconclusive gate is skipped, since nothing was shown either way,
// unless the comparison is strict, where it fails as the verdict does.
func renderComparisonJUnit(w io.Writer, c *compare.Comparison) error {
	cases := thresholdCases(c.Thresholds)
	for _, g := range c.Gates {
		tc := junitCase{Name: "gate: " + g.Expr, Classname: junitGatesClass}
		switch {
		case g.Status == compare.Fail:
			tc.Failure = &junitOutcome{Message: g.Reason, Type: "gate", Text: g.Reason}
		case g.Status == compare.Inconclusive && c.Strict:
			tc.Failure = &junitOutcome{Message: "inconclusive (strict): " + g.Reason, Type: "inconclusive", Text: g.Reason}
		case g.Status == compare.Inconclusive:
			tc.Skipped = &junitOutcome{Message: "inconclusive: " + g.Reason}
		default:
			tc.SystemOut = g.Reason
		}
		cases = append(cases, tc)
	}
	return writeJUnit(w, cases)
}

func thresholdCases(ts []results.ThresholdResult) []junitCase {
	var cases []junitCase
	for _, th := range ts {
		tc := junitCase{Name: "threshold: " + th.Expr, Classname: junitThresholdsClass}
		switch {
		case th.Error != "":
			tc.Error = &junitOutcome{Message: th.Error, Type: "unevaluated", Text: th.Error}
		case !th.OK:
			msg := fmt.Sprintf("measured %s, want %s", thresholdValue(th), th.Expr)
			tc.Failure = &junitOutcome{Message: msg, Type: "threshold", Text: msg}
		default:
			tc.SystemOut = fmt.Sprintf("measured %s", thresholdValue(th))
		}
		cases = append(cases, tc)
	}
	return cases
}

func writeJUnit(w io.Writer, cases []junitCase) error {
	suite := junitSuite{Name: junitSuiteName, Tests: len(cases), Cases: cases}
	for _, c := range cases {
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Error != nil:
			suite.Errors++
		case c.Skipped != nil:
			suite.Skipped++
		}
	}
	doc := junitSuites{
		Name: junitSuiteName, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Skipped: suite.Skipped,
		Suites: []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
