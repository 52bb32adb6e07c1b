package domain

// Option is a code with its display name, from the exchange's reference
// lists (shared/domain/*.csv, copied here so the binary needs no data files).
type Option struct {
	Code string
	Name string
}

// UnitTypes are the consumption-unit / tariff categories (unit-types.csv).
// The codes are our own identifiers; the platform's are unknown.
var UnitTypes = []Option{
	{"large_industrial", "大工业用电"},
	{"general_commercial_industrial", "一般工商业用电"},
	{"commercial_industrial", "工商业用电"},
	{"commercial_industrial_two_part", "工商业用电（两部制）"},
	{"commercial_industrial_single_part", "工商业用电（单一制）"},
	{"agricultural_production", "农业生产用电"},
	{"residential", "居民生活用电"},
	{"other", "其他用电"},
}

// HighEnergyIndustries are the six high-energy-consumption industries
// (GB/T 4754 divisions, high-energy-industries.csv).
var HighEnergyIndustries = []Option{
	{"25", "石油、煤炭及其他燃料加工业"},
	{"26", "化学原料和化学制品制造业"},
	{"30", "非金属矿物制品业"},
	{"31", "黑色金属冶炼和压延加工业"},
	{"32", "有色金属冶炼和压延加工业"},
	{"44", "电力、热力生产和供应业"},
}

// VoltageLevels are State Grid marketing voltage codes (voltage-levels.csv).
var VoltageLevels = []Option{
	{"AC02202", "交流220V"},
	{"AC03802", "交流380V"},
	{"AC00061", "交流6kV"},
	{"AC00101", "交流10kV"},
	{"AC00201", "交流20kV"},
	{"AC02751", "交流27.5kV"},
	{"AC00351", "交流35kV"},
	{"AC01101", "交流110kV"},
	{"AC02201", "交流220kV"},
	{"AC05001", "交流500kV"},
	{"AC07501", "交流750kV"},
}

// OptionName returns the name of code in opts, or code itself if unknown.
func OptionName(opts []Option, code string) string {
	for _, o := range opts {
		if o.Code == code {
			return o.Name
		}
	}
	return code
}

// HasOption reports whether code is one of opts.
func HasOption(opts []Option, code string) bool {
	for _, o := range opts {
		if o.Code == code {
			return true
		}
	}
	return false
}
