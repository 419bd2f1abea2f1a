package main

import (
	"fmt"

	"github.com/pointcheckout-go/pointcheckout"
)

// Product is one thing the shop sells. Its price is the only source of the
// amounts the shop charges: the browser sends product ids and quantities,
// never prices.
type Product struct {
	ID          string
	Name        string
	Description string
	Price       pointcheckout.Money
}

// catalog is the shop's fixed product list, in display order.
type catalog struct {
	list []Product
	byID map[string]Product
}

// newCatalog builds the demo catalog. Prices are in fils (AED has two minor
// digits): 4500 is 45.00 AED.
func newCatalog() (*catalog, error) {
	rows := []struct {
		id, name, desc string
		fils           int64
	}{
		{"dates", "Medjool dates gift box", "500 g of soft Medjool dates in a cedar box.", 4500},
		{"coffee", "Arabic coffee set", "A brass dallah, four finjan cups and 250 g of cardamom coffee.", 12000},
		{"saffron", "Saffron, 5 g", "Hand-picked threads, grade I.", 3550},
		{"oud", "Oud perfume oil", "12 ml of aged oud in a crystal bottle.", 24999},
	}
	c := &catalog{byID: make(map[string]Product, len(rows))}
	for _, r := range rows {
		price, err := pointcheckout.NewMoney(r.fils, shopCurrency)
		if err != nil {
			return nil, fmt.Errorf("price of %s: %w", r.id, err)
		}
		p := Product{ID: r.id, Name: r.name, Description: r.desc, Price: price}
		c.list = append(c.list, p)
		c.byID[p.ID] = p
	}
	return c, nil
}

// shopCurrency is the one currency the shop prices and charges in.
const shopCurrency = "AED"

// product returns the product with id, if the shop sells it.
func (c *catalog) product(id string) (Product, bool) {
	p, ok := c.byID[id]
	return p, ok
}
