package marketingsim

import (
	"fmt"

	"github.com/regbot/regbot/domain"
)

// DefaultAccounts returns the simulator's fixture accounts (a fresh copy on
// every call). The enterprises and addresses are made up; numbers, codes and
// shapes are realistic:
//
//	account     query password  points
//	5000000001  123456          3  (10 kV factory in 渝北区, one 380 V office meter)
//	5000000002  222222          2  (35 kV foundry in 江津区)
//	5000000003  333333          10 (110 kV chemical plant in 长寿区; more than one page of buttons)
//	5000000004  444444          1  (10 kV shopping centre in 渝中区)
//	5000000005  555555          0  (a closed account: it exists but lists no points)
//
// Metering point ids are the account number followed by a 3-digit sequence,
// so they are unique across accounts.
func DefaultAccounts() []Account {
	const (
		yubei     = "重庆市渝北区某某路1号"
		jiangjin  = "重庆市江津区德感街道某某工业园3号"
		changshou = "重庆市长寿区晏家街道某某化工园区8号"
		yuzhong   = "重庆市渝中区解放碑街道某某街18号"
	)
	return []Account{
		{Number: "5000000001", QueryPassword: "123456", Points: points("5000000001",
			mp{"1号厂房总表", yubei, "AC00101", "large_industrial"},
			mp{"2号厂房总表", yubei, "AC00101", "large_industrial"},
			mp{"办公楼照明", yubei, "AC03802", "general_commercial_industrial"},
		)},
		{Number: "5000000002", QueryPassword: "222222", Points: points("5000000002",
			mp{"铸造车间总表", jiangjin, "AC00351", "large_industrial"},
			mp{"空压站", jiangjin, "AC00101", "large_industrial"},
		)},
		{Number: "5000000003", QueryPassword: "333333", Points: points("5000000003",
			mp{"总降压站进线", changshou, "AC01101", "large_industrial"},
			mp{"1号合成车间", changshou, "AC00101", "large_industrial"},
			mp{"2号合成车间", changshou, "AC00101", "large_industrial"},
			mp{"精馏车间", changshou, "AC00101", "large_industrial"},
			mp{"循环水站", changshou, "AC00101", "large_industrial"},
			mp{"污水处理站", changshou, "AC00101", "large_industrial"},
			mp{"成品仓库", changshou, "AC03802", "general_commercial_industrial"},
			mp{"综合办公楼", changshou, "AC03802", "commercial_industrial_single_part"},
			mp{"职工食堂", changshou, "AC03802", "commercial_industrial_single_part"},
			mp{"门卫及厂区路灯", changshou, "AC02202", "other"},
		)},
		{Number: "5000000004", QueryPassword: "444444", Points: points("5000000004",
			mp{"营业楼总表", yuzhong, "AC00101", "commercial_industrial_two_part"},
		)},
		{Number: "5000000005", QueryPassword: "555555", Points: []domain.MeteringPoint{}},
	}
}

type mp struct{ name, address, voltage, tariff string }

func points(account string, ps ...mp) []domain.MeteringPoint {
	out := make([]domain.MeteringPoint, len(ps))
	for i, p := range ps {
		out[i] = domain.MeteringPoint{
			ID:             fmt.Sprintf("%s%03d", account, i+1),
			Name:           p.name,
			Address:        p.address,
			VoltageCode:    p.voltage,
			TariffCategory: p.tariff,
		}
	}
	return out
}
